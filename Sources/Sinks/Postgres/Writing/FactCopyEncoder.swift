import Core
import PostgresNIO

/// Encodes facts as rows of PostgreSQL's COPY text format, for the facts table
/// or the staging table.
///
/// Exists because COPY is the fastest way to move a batch to the server: one
/// stream, no per-row round trip, no bind limit. The series columns are encoded
/// once per distinct series of the batch and reused for each of its facts.
struct FactCopyEncoder {
    /// Staging columns, in the order each row carries them.
    static let columns = [
        "fact_id", "minute", "series_id", "source", "subject", "metric", "dimensions", "from_at", "to_at",
        "from_ns", "to_ns", "quantity", "flags", "amount", "currency", "price_book",
    ]

    /// The columns of a row with its batch id, for a COPY straight into the facts table.
    static let columnsWithBatch = columns + ["batch_id"]

    /// Bytes per COPY data message.
    static let chunkSize = 1 << 20

    /// Per distinct series of the facts encoded so far: its id and COPY columns.
    private(set) var series: [EncodedSeries] = []
    private var seriesNumbers: [SeriesKey: Int] = [:]
    /// For each fact of the last `encode` call, the index of its series in `series`.
    private(set) var seriesOfFacts: [Int] = []

    struct EncodedSeries {
        var key: SeriesKey
        /// The series id as a UUID text.
        var id: [UInt8]
        /// `series_id`, `source`, `subject`, `metric`, `dimensions`, tab-separated.
        var columns: [UInt8]
    }

    /// The rows of `facts`, split into chunks of about `chunkSize` bytes; with a
    /// `batchID` each row ends with it (`columnsWithBatch`).
    mutating func encode(_ facts: [UsageFact], batchID: Int64? = nil) -> [ByteBuffer] {
        var chunks: [ByteBuffer] = []
        var position = facts.startIndex
        startFacts(count: facts.count)
        while position < facts.endIndex {
            chunks.append(nextChunk(of: facts, from: &position, batchID: batchID))
        }
        return chunks
    }

    /// Begins a new run of `nextChunk` calls: `seriesOfFacts` starts empty.
    mutating func startFacts(count: Int) {
        seriesOfFacts.removeAll(keepingCapacity: true)
        seriesOfFacts.reserveCapacity(count)
    }

    /// Encodes the facts from `position` on until a chunk of about `chunkSize`
    /// bytes is full or the facts end, and moves `position` past them. Lets a
    /// writer send each chunk before encoding the next, so the server parses
    /// one while the client encodes the other.
    mutating func nextChunk(of facts: [UsageFact], from position: inout Int, batchID: Int64?) -> ByteBuffer {
        var suffix: [UInt8] = []
        if let batchID {
            suffix.append(Self.tab)
            Self.appendInteger(batchID, to: &suffix)
        }
        var line: [UInt8] = []
        line.reserveCapacity(512)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(min(Self.chunkSize + 4096, (facts.endIndex - position) * 300 + 64))
        while position < facts.endIndex, buffer.readableBytes < Self.chunkSize {
            line.removeAll(keepingCapacity: true)
            append(facts[position], to: &line)
            line.append(contentsOf: suffix)
            line.append(UInt8(ascii: "\n"))
            buffer.writeBytes(line)
            position += 1
        }
        return buffer
    }

    private mutating func append(_ fact: UsageFact, to out: inout [UInt8]) {
        Self.appendUUID(fact.id, to: &out)
        out.append(Self.tab)
        fact.minute.appendRFC3339(fractionalDigits: .none, to: &out)
        out.append(Self.tab)
        let number = seriesNumber(of: fact.series)
        seriesOfFacts.append(number)
        out.append(contentsOf: series[number].columns)
        out.append(Self.tab)
        Self.appendMicroseconds(fact.from, to: &out)
        out.append(Self.tab)
        Self.appendMicroseconds(fact.to, to: &out)
        out.append(Self.tab)
        Self.appendInteger(fact.from.nanosecondsSinceEpoch, to: &out)
        out.append(Self.tab)
        Self.appendInteger(fact.to.nanosecondsSinceEpoch, to: &out)
        out.append(Self.tab)
        Self.appendInteger(fact.quantity, to: &out)
        out.append(Self.tab)
        Self.appendInteger(fact.flags.rawValue, to: &out)
        out.append(Self.tab)
        Self.appendASCII(fact.amount.description, to: &out)
        out.append(Self.tab)
        Self.appendText(fact.currency, to: &out)
        out.append(Self.tab)
        Self.appendText(fact.priceBook, to: &out)
    }

    /// The index of `key` in `series`, encoding its columns the first time.
    mutating func seriesNumber(of key: SeriesKey) -> Int {
        if let number = seriesNumbers[key] { return number }
        var id: [UInt8] = []
        Self.appendUUID(SeriesIdentity.id(of: key), to: &id)
        var out = id
        out.append(Self.tab)
        Self.appendText(key.source, to: &out)
        out.append(Self.tab)
        Self.appendText(key.subject, to: &out)
        out.append(Self.tab)
        Self.appendText(key.metric, to: &out)
        out.append(Self.tab)
        Self.appendText(Self.dimensionsJSON(key.dimensions), to: &out)
        series.append(EncodedSeries(key: key, id: id, columns: out))
        seriesNumbers[key] = series.count - 1
        return series.count - 1
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A 128-bit id as the canonical 8-4-4-4-12 UUID text (what `uuidString` gives).
    static func appendUUID(_ id: Digest128, to out: inout [UInt8]) {
        for position in 0..<32 {
            if position == 8 || position == 12 || position == 16 || position == 20 { out.append(UInt8(ascii: "-")) }
            let word = position < 16 ? id.high : id.low
            out.append(hexDigits[Int((word >> UInt64(60 - 4 * (position % 16))) & 0xF)])
        }
    }

    /// A non-negative or negative integer in decimal, without a String.
    static func appendInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        while magnitude > 0 {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        out[start...].reverse()
    }

    static let tab = UInt8(ascii: "\t")

    /// An instant cut to whole microseconds (timestamptz's precision), as RFC 3339.
    /// The exact nanoseconds go to the `*_ns` columns.
    static func appendMicroseconds(_ time: Timestamp, to out: inout [UInt8]) {
        let ns = time.nanosecondsSinceEpoch
        let (q, r) = ns.quotientAndRemainder(dividingBy: 1_000)
        let floored = (r < 0 ? q - 1 : q) * 1_000
        Timestamp(nanosecondsSinceEpoch: floored).appendRFC3339(fractionalDigits: .nanoseconds, to: &out)
    }

    /// Dimensions as a JSON object with keys in the series' (sorted) order.
    static func dimensionsJSON(_ dimensions: [Dimension]) -> String {
        var out = "{"
        for (i, d) in dimensions.enumerated() {
            if i > 0 { out += "," }
            out += JSONString.quoted(d.key) + ":" + JSONString.quoted(d.value)
        }
        return out + "}"
    }

    /// Text that needs no escaping (ids, numbers, timestamps we formatted).
    static func appendASCII(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    /// Arbitrary text with COPY's escapes: backslash, tab, newline, carriage return.
    /// A NUL byte cannot be stored in a PostgreSQL text value; it is dropped by
    /// the server's validation, so we reject such facts earlier (see `FactValidation`).
    static func appendText(_ text: String, to out: inout [UInt8]) {
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: out.append(c)
            }
        }
    }
}
