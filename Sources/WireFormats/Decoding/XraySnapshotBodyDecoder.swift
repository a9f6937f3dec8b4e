/// Where a pushed body was rejected: the 1-based line and byte column of the
/// offending byte, the snapshot it belongs to (0-based, in body order) and why.
///
/// Exists so `POST /v1/ingest/snapshots` can answer 422 with a position an
/// exporter operator can find in a 30 MiB NDJSON body.
public struct XraySnapshotBodyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    /// The snapshot being decoded (its index in the array or stream); `nil` before the first.
    public var snapshot: Int?
    /// The field path inside that snapshot (`samples[2].uplink_bytes_total`), when known.
    public var field: String?
    public var message: String

    public init(line: Int, column: Int, snapshot: Int?, field: String?, message: String) {
        self.line = line
        self.column = column
        self.snapshot = snapshot
        self.field = field
        self.message = message
    }

    /// `line 3, column 57 (snapshot 2, samples[0].uplink_bytes_total): expected a non-negative integer`.
    public var description: String {
        var context: [String] = []
        if let snapshot { context.append("snapshot \(snapshot)") }
        if let field { context.append(field) }
        let suffix = context.isEmpty ? "" : " (" + context.joined(separator: ", ") + ")"
        return "line \(line), column \(column)\(suffix): \(message)"
    }
}

/// Decodes the body of an xray-exporter push (UPSTREAMS §2): one snapshot
/// object, a JSON array of snapshots, or NDJSON (snapshot objects separated by
/// newlines; a pretty-printed object may span lines).
///
/// All or nothing: the first malformed byte throws, with its line and column,
/// and no snapshot is returned.
public enum XraySnapshotBodyDecoder {
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(XraySnapshotBodyError) -> [XraySnapshot] {
        var scanner = JSONScanner(bytes)
        var snapshots: [XraySnapshot] = []
        do throws(WireFormatError) {
            switch scanner.peek() {
            case nil:
                throw scanner.error("empty body: expected a snapshot object, an array of them, or NDJSON")
            case UInt8(ascii: "["):
                try scanner.beginArray()
                var first = true
                while try scanner.nextElement(first: &first) {
                    snapshots.append(try XraySnapshotDecoder.decodeSnapshot(&scanner, keepEmail: false))
                }
                try scanner.finish()
            default:
                while true {
                    snapshots.append(try XraySnapshotDecoder.decodeSnapshot(&scanner, keepEmail: false))
                    let end = scanner.index
                    guard scanner.peek() != nil else { break }
                    // NDJSON: the next snapshot must start on a new line.
                    if !bytes[end..<scanner.index].contains(0x0A) {
                        throw scanner.error("expected a newline before the next snapshot (NDJSON)")
                    }
                }
            }
        } catch {
            throw locate(error, in: bytes, snapshot: snapshots.count)
        }
        return snapshots
    }

    /// Converts the scanner's byte offset into a line and a column within that line.
    static func locate(_ error: WireFormatError, in bytes: UnsafeRawBufferPointer, snapshot: Int)
        -> XraySnapshotBodyError
    {
        let offset = min(max(error.column - 1, 0), bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return XraySnapshotBodyError(
            line: line, column: offset - lineStart + 1, snapshot: snapshot, field: error.field,
            message: error.message)
    }
}
