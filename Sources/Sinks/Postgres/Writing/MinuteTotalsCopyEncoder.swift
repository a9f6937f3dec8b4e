import Core
import PostgresNIO

/// Sums a batch's facts per (series, minute, currency) on the client and encodes
/// the sums as COPY rows, in the totals table's key order (subject, minute).
///
/// Exists for the fast write path: when every fact of a batch is new, the
/// minute totals it adds are known before anything reaches the server, so the
/// server takes one narrow row per series and minute (COPYed straight in, or
/// upserted when some exist) instead of grouping the wide fact rows again.
struct MinuteTotalsCopyEncoder {
    static let columns = [
        "series_id", "minute", "currency", "source", "subject", "metric", "quantity", "amount", "fact_count",
    ]

    private struct Key: Hashable {
        var series: Int
        var minute: Int64
        var currency: String
    }

    private struct Sum {
        var key: Key
        var quantity: UInt128 = 0
        var amount: Money = .zero
        var count = 0
    }

    /// The rows (in chunks) and how many there are. `encoder` is the one that
    /// just encoded `facts`: its series numbers and ids are reused.
    static func encode(_ facts: [UsageFact], encodedBy encoder: FactCopyEncoder) -> (rows: [ByteBuffer], count: Int) {
        var index: [Key: Int] = [:]
        var sums: [Sum] = []
        for (position, fact) in facts.enumerated() {
            let key = Key(
                series: encoder.seriesOfFacts[position], minute: fact.minute.nanosecondsSinceEpoch,
                currency: fact.currency)
            let slot: Int
            if let existing = index[key] {
                slot = existing
            } else {
                slot = sums.count
                index[key] = slot
                sums.append(Sum(key: key))
            }
            sums[slot].quantity += UInt128(fact.quantity)
            sums[slot].amount += fact.amount
            sums[slot].count += 1
        }
        // Rows in key order insert into neighbouring index pages.
        sums.sort { left, right in
            let leftSubject = encoder.series[left.key.series].key.subject
            let rightSubject = encoder.series[right.key.series].key.subject
            if leftSubject != rightSubject { return leftSubject < rightSubject }
            return left.key.minute < right.key.minute
        }
        var chunks: [ByteBuffer] = []
        var buffer = ByteBuffer()
        var line: [UInt8] = []
        for sum in sums {
            let series = encoder.series[sum.key.series]
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: series.id)
            line.append(FactCopyEncoder.tab)
            Timestamp(nanosecondsSinceEpoch: sum.key.minute).appendRFC3339(fractionalDigits: .none, to: &line)
            for text in [sum.key.currency, series.key.source, series.key.subject, series.key.metric] {
                line.append(FactCopyEncoder.tab)
                FactCopyEncoder.appendText(text, to: &line)
            }
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendInteger(sum.quantity, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendASCII(sum.amount.description, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendInteger(sum.count, to: &line)
            line.append(UInt8(ascii: "\n"))
            buffer.writeBytes(line)
            if buffer.readableBytes >= FactCopyEncoder.chunkSize {
                chunks.append(buffer)
                buffer = ByteBuffer()
            }
        }
        if buffer.readableBytes > 0 { chunks.append(buffer) }
        return (chunks, sums.count)
    }
}
