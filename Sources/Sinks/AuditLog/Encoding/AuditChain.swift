internal import Hashing

/// The running end of the hash chain: the last line's `seq` and `hash`.
///
/// Every line is `{"seq":…,"kind":…,"prev_hash":…, <kind fields> ,"hash":…}` and
/// `hash = hex(SHA-256(prev_hash_hex + "\n" + body))`, where `body` is the line's
/// bytes without the final `,"hash":"…"` member (so it ends in `}`) and without
/// the newline. Defined in docs/audit-format.md, "Hash chain".
struct AuditChain: Equatable, Sendable {
    /// `seq` of the last line written (0 before the first line).
    var seq: UInt64
    /// 64 lowercase hex digits of the last line's hash (`genesisHash` before the first line).
    var lastHash: [UInt8]

    /// `prev_hash` of the first line of a chain: 64 zeros.
    static let genesisHash: [UInt8] = Array(repeating: UInt8(ascii: "0"), count: 64)

    static let genesis = AuditChain(seq: 0, lastHash: genesisHash)

    var lastHashText: String { String(decoding: lastHash, as: UTF8.self) }

    /// What `appendLine` writes besides the kind's members: `{"seq":N,"kind":"K","prev_hash":"…"`,
    /// then `,"hash":"…"}` and the newline.
    static func envelopeBound(kind: StaticString) -> Int { 40 + kind.utf8CodeUnitCount + 64 + 76 + 1 }

    /// Appends one complete line (with its newline) to `writer` and advances the chain.
    /// `fields` writes the kind's members, each preceded by a comma (`writer.key(_:)`).
    mutating func appendLine(
        kind: StaticString, to writer: inout CanonicalJSONWriter, fields: (inout CanonicalJSONWriter) throws -> Void
    ) rethrows {
        let start = writer.count
        writer.withCursor(reserving: Self.envelopeBound(kind: kind)) { openLine(kind: kind, cursor: &$0) }
        do {
            try fields(&writer)
        } catch {
            writer.truncate(to: start)
            throw error
        }
        writer.withCursor(reserving: 1) { $0.byte(UInt8(ascii: "}")) }
        finishLine(startingAt: start, in: &writer)
    }

    /// Appends one complete line whose members `fields` writes through a cursor
    /// in at most `fieldsBound` bytes: one reservation, no per-member checks.
    mutating func appendLine(
        kind: StaticString, to writer: inout CanonicalJSONWriter, fieldsBound: Int, fields: (inout ByteCursor) -> Void
    ) {
        let start = writer.count
        writer.withCursor(reserving: Self.envelopeBound(kind: kind) + fieldsBound + 1) { cursor in
            openLine(kind: kind, cursor: &cursor)
            fields(&cursor)
            cursor.byte(UInt8(ascii: "}"))
        }
        finishLine(startingAt: start, in: &writer)
    }

    private func openLine(kind: StaticString, cursor c: inout ByteCursor) {
        c.byte(UInt8(ascii: "{"))
        c.key("seq", first: true)
        c.decimal(seq + 1)
        c.key("kind")
        c.byte(UInt8(ascii: "\""))
        c.raw(kind)
        c.byte(UInt8(ascii: "\""))
        c.key("prev_hash")
        c.byte(UInt8(ascii: "\""))
        lastHash.withUnsafeBytes { c.raw($0) }
        c.byte(UInt8(ascii: "\""))
    }

    /// The body `writer[start...]` ends in `}`: hash it, replace the `}` by
    /// `,"hash":"…"}` and the newline, and advance the chain.
    private mutating func finishLine(startingAt start: Int, in writer: inout CanonicalJSONWriter) {
        let digest = writer.withUnsafeBytes { all in
            Self.hash(previous: lastHash, body: UnsafeRawBufferPointer(rebasing: all[start...]))
        }
        writer.truncate(to: writer.count - 1)
        let hexStart = writer.count + 9
        writer.withCursor(reserving: 76) { c in
            c.raw(",\"hash\":\"")
            digest.withUnsafeBytes { c.hex($0) }
            c.raw("\"}\n")
        }
        writer.withUnsafeBytes { all in
            let hex = UnsafeRawBufferPointer(rebasing: all[hexStart..<(hexStart + 64)])
            lastHash.withUnsafeMutableBytes { $0.copyMemory(from: hex) }
        }
        seq += 1
    }

    /// SHA-256 over `previous` (64 hex bytes), a newline, and `body`.
    static func hash(previous: [UInt8], body: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256Hasher()
        previous.withUnsafeBytes { hasher.update($0) }
        withUnsafeBytes(of: UInt8(ascii: "\n")) { hasher.update($0) }
        hasher.update(body)
        return hasher.finalize()
    }

    /// Lowercase hex of `hash(previous:body:)`.
    static func hashHex(previous: [UInt8], body: UnsafeRawBufferPointer) -> [UInt8] {
        var writer = CanonicalJSONWriter()
        hash(previous: previous, body: body).withUnsafeBytes { writer.hex($0) }
        return writer.bytes
    }
}
