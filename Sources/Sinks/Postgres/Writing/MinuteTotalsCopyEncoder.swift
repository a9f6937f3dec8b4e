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

    private var index: [Key: Int] = [:]
    private var sums: [Sum] = []

    /// Rows so far: one per (series, minute, currency) added.
    var count: Int { sums.count }

    /// Adds `facts` to the sums; `seriesNumbers` are their series' positions in
    /// the `FactCopyEncoder` that encoded them (its `seriesOfFacts`).
    mutating func add(_ facts: ArraySlice<UsageFact>, seriesNumbers: ArraySlice<Int>) {
        for (fact, series) in zip(facts, seriesNumbers) {
            let key = Key(series: series, minute: fact.minute.nanosecondsSinceEpoch, currency: fact.currency)
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
    }

    /// Puts the sums in key order (subject, minute), so rows insert into
    /// neighbouring index pages; `series` is the fact encoder's `series`.
    /// Subjects are compared once per series, not once per row.
    mutating func sort(series: [FactCopyEncoder.EncodedSeries]) {
        var rank = [Int](repeating: 0, count: series.count)
        for (position, number) in series.indices.sorted(by: { series[$0].key.subject < series[$1].key.subject })
            .enumerated()
        {
            rank[number] = position
        }
        sums.sort { left, right in
            let leftRank = rank[left.key.series]
            let rightRank = rank[right.key.series]
            if leftRank != rightRank { return leftRank < rightRank }
            return left.key.minute < right.key.minute
        }
        index = [:]
    }

    /// All rows, in chunks.
    func rows(series: [FactCopyEncoder.EncodedSeries]) -> [ByteBuffer] {
        var chunks: [ByteBuffer] = []
        var position = 0
        while position < sums.count { chunks.append(nextChunk(from: &position, series: series)) }
        return chunks
    }

    /// Encodes rows from `position` on until a chunk of about `chunkSize` bytes
    /// is full or the rows end, and moves `position` past them.
    func nextChunk(from position: inout Int, series: [FactCopyEncoder.EncodedSeries]) -> ByteBuffer {
        var buffer = ByteBuffer()
        var line: [UInt8] = []
        line.reserveCapacity(256)
        while position < sums.count, buffer.readableBytes < FactCopyEncoder.chunkSize {
            let sum = sums[position]
            position += 1
            let encoded = series[sum.key.series]
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: encoded.id)
            line.append(FactCopyEncoder.tab)
            Timestamp(nanosecondsSinceEpoch: sum.key.minute).appendRFC3339(fractionalDigits: .none, to: &line)
            for text in [sum.key.currency, encoded.key.source, encoded.key.subject, encoded.key.metric] {
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
        }
        return buffer
    }
}
