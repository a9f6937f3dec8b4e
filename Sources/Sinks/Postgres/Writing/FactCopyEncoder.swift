import Core
import PostgresNIO

/// Encodes facts as rows of PostgreSQL's COPY text format for the staging table.
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

    /// Bytes per COPY data message.
    static let chunkSize = 1 << 20

    private var seriesColumns: [SeriesKey: [UInt8]] = [:]

    /// The rows of `facts`, split into chunks of about `chunkSize` bytes.
    mutating func encode(_ facts: [UsageFact]) -> [ByteBuffer] {
        var chunks: [ByteBuffer] = []
        var line: [UInt8] = []
        line.reserveCapacity(512)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(min(Self.chunkSize + 4096, facts.count * 300 + 64))
        for fact in facts {
            line.removeAll(keepingCapacity: true)
            append(fact, to: &line)
            buffer.writeBytes(line)
            if buffer.readableBytes >= Self.chunkSize {
                chunks.append(buffer)
                buffer = ByteBuffer()
                buffer.reserveCapacity(Self.chunkSize + 4096)
            }
        }
        if buffer.readableBytes > 0 { chunks.append(buffer) }
        return chunks
    }

    private mutating func append(_ fact: UsageFact, to out: inout [UInt8]) {
        Self.appendASCII(fact.id.uuidString, to: &out)
        out.append(Self.tab)
        Self.appendASCII(fact.minute.rfc3339(fractionalDigits: .none), to: &out)
        out.append(Self.tab)
        out.append(contentsOf: columns(of: fact.series))
        out.append(Self.tab)
        Self.appendASCII(Self.microsecondText(fact.from), to: &out)
        out.append(Self.tab)
        Self.appendASCII(Self.microsecondText(fact.to), to: &out)
        out.append(Self.tab)
        Self.appendASCII(String(fact.from.nanosecondsSinceEpoch), to: &out)
        out.append(Self.tab)
        Self.appendASCII(String(fact.to.nanosecondsSinceEpoch), to: &out)
        out.append(Self.tab)
        Self.appendASCII(String(fact.quantity), to: &out)
        out.append(Self.tab)
        Self.appendASCII(String(fact.flags.rawValue), to: &out)
        out.append(Self.tab)
        Self.appendASCII(fact.amount.description, to: &out)
        out.append(Self.tab)
        Self.appendText(fact.currency, to: &out)
        out.append(Self.tab)
        Self.appendText(fact.priceBook, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// `series_id`, `source`, `subject`, `metric`, `dimensions`, tab-separated, cached per series.
    private mutating func columns(of series: SeriesKey) -> [UInt8] {
        if let cached = seriesColumns[series] { return cached }
        var out: [UInt8] = []
        Self.appendASCII(SeriesIdentity.id(of: series).uuidString, to: &out)
        out.append(Self.tab)
        Self.appendText(series.source, to: &out)
        out.append(Self.tab)
        Self.appendText(series.subject, to: &out)
        out.append(Self.tab)
        Self.appendText(series.metric, to: &out)
        out.append(Self.tab)
        Self.appendText(Self.dimensionsJSON(series.dimensions), to: &out)
        seriesColumns[series] = out
        return out
    }

    static let tab = UInt8(ascii: "\t")

    /// An instant cut to whole microseconds (timestamptz's precision), as RFC 3339.
    /// The exact nanoseconds go to the `*_ns` columns.
    static func microsecondText(_ time: Timestamp) -> String {
        let ns = time.nanosecondsSinceEpoch
        let (q, r) = ns.quotientAndRemainder(dividingBy: 1_000)
        let floored = (r < 0 ? q - 1 : q) * 1_000
        return Timestamp(nanosecondsSinceEpoch: floored).rfc3339(fractionalDigits: .nanoseconds)
    }

    /// Dimensions as a JSON object with keys in the series' (sorted) order.
    static func dimensionsJSON(_ dimensions: [Dimension]) -> String {
        var out = "{"
        for (i, d) in dimensions.enumerated() {
            if i > 0 { out += "," }
            out += jsonString(d.key) + ":" + jsonString(d.value)
        }
        return out + "}"
    }

    static func jsonString(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                out += Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 0x0f)]]
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
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
