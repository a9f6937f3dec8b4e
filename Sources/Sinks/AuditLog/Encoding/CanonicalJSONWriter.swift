internal import Core

/// Appends canonical JSON to a byte buffer: no insignificant whitespace, one
/// fixed spelling per string and number, so the bytes (and their hashes) are a
/// pure function of the values. See docs/audit-format.md, "Canonical JSON".
///
/// Hand-written rather than `JSONEncoder` because the audit sink encodes
/// hundreds of thousands of lines a second and needs exact control of the
/// bytes. The buffer keeps zero-filled spare room past `count`, so a hot path
/// reserves an upper bound once and writes through a `ByteCursor` without any
/// per-byte checks; the methods here are the convenient (slower) spelling.
struct CanonicalJSONWriter {
    /// `count` bytes of output, then spare room.
    private var storage: [UInt8]
    /// Bytes written so far.
    private(set) var count = 0

    init(capacity: Int = 256) {
        storage = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// The bytes written (a copy; hot paths use `withUnsafeBytes`).
    var bytes: [UInt8] { Array(storage[..<count]) }

    var isEmpty: Bool { count == 0 }

    /// Forgets the output, keeping the buffer.
    mutating func removeAll() { count = 0 }

    /// Drops the output past `length`.
    mutating func truncate(to length: Int) {
        precondition(length >= 0 && length <= count, "truncate beyond the written bytes")
        count = length
    }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = storage.withUnsafeBytes { all in
            do throws(E) {
                return .success(try body(UnsafeRawBufferPointer(rebasing: all[..<count])))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Makes room for `extra` more bytes (the buffer at least doubles when it grows).
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        let needed = count + extra
        if needed > storage.count { grow(to: needed) }
    }

    private mutating func grow(to needed: Int) {
        let target = max(needed, storage.count * 2)
        storage.append(contentsOf: repeatElement(0, count: target - storage.count))
    }

    /// Writes at most `bound` bytes through a cursor at the end of the output.
    /// Writing more than `bound` bytes is a programming error (memory beyond the buffer).
    @inline(__always)
    mutating func withCursor<R, E: Error>(reserving bound: Int, _ body: (inout ByteCursor) throws(E) -> R) throws(E)
        -> R
    {
        reserve(bound)
        let start = count
        let result: Result<(R, Int), E> = storage.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { preconditionFailure("writer storage is never empty") }
            var cursor = ByteCursor(position: base + start)
            do throws(E) {
                let value = try body(&cursor)
                let written = cursor.position - (base + start)
                precondition(written <= bound, "wrote past the reserved bound")
                return .success((value, written))
            } catch { return .failure(error) }
        }
        let (value, written) = try result.get()
        count = start + written
        return value
    }

    mutating func raw(_ byte: UInt8) {
        withCursor(reserving: 1) { $0.byte(byte) }
    }

    mutating func raw(_ text: StaticString) {
        withCursor(reserving: text.utf8CodeUnitCount) { $0.raw(text) }
    }

    mutating func raw(_ bytes: [UInt8]) {
        withCursor(reserving: bytes.count) { c in bytes.withUnsafeBytes { c.raw($0) } }
    }

    /// `"key":` — keys are static ASCII names that need no escaping.
    mutating func key(_ name: StaticString, first: Bool = false) {
        withCursor(reserving: name.utf8CodeUnitCount + 4) { $0.key(name, first: first) }
    }

    /// A JSON string: `"` and `\` escaped with a backslash, \b \f \n \r \t short,
    /// other controls and DEL as `\u00xx` (lowercase hex), everything else raw UTF-8.
    mutating func string(_ value: String) {
        withCursor(reserving: ByteCursor.Bound.string(value.utf8.count)) { $0.string(value) }
    }

    mutating func string(utf8: UnsafeRawBufferPointer) {
        withCursor(reserving: ByteCursor.Bound.string(utf8.count)) { $0.string(utf8: utf8) }
    }

    /// An unsigned integer in decimal, no sign, no leading zeros.
    mutating func integer(_ value: UInt64) {
        withCursor(reserving: ByteCursor.Bound.integer) { $0.decimal(value) }
    }

    /// An unsigned integer as a JSON string (`"123"`), for quantities.
    mutating func integerString(_ value: UInt64) {
        withCursor(reserving: ByteCursor.Bound.integer + 2) { c in
            c.byte(UInt8(ascii: "\""))
            c.decimal(value)
            c.byte(UInt8(ascii: "\""))
        }
    }

    mutating func null() { raw("null") }

    /// Optional unsigned integer: the number, or `null`.
    mutating func integer(_ value: UInt64?) {
        if let value { integer(value) } else { null() }
    }

    /// Optional string: the string, or `null`.
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// `value` in decimal, zero-padded to `minimumWidth` digits.
    mutating func appendDecimal(_ value: UInt64, minimumWidth: Int) {
        withCursor(reserving: max(ByteCursor.Bound.integer, minimumWidth)) {
            $0.decimal(value, minimumWidth: minimumWidth)
        }
    }

    /// An exact amount as a JSON string, spelled as `Money.description`
    /// (`"0.05"`, `"12"`, `"-0.000000000000000001"`).
    mutating func money(_ amount: Money) {
        withCursor(reserving: ByteCursor.Bound.money + 2) { c in
            c.byte(UInt8(ascii: "\""))
            c.money(amount)
            c.byte(UInt8(ascii: "\""))
        }
    }

    /// An instant as a JSON string in RFC 3339 UTC: whole seconds when the
    /// instant has no fraction, otherwise exactly nine fractional digits
    /// (`Timestamp.rfc3339(fractionalDigits: .automatic)`).
    mutating func timestamp(_ time: Timestamp) {
        withCursor(reserving: ByteCursor.Bound.timestamp + 2) { c in
            c.byte(UInt8(ascii: "\""))
            c.rfc3339(time)
            c.byte(UInt8(ascii: "\""))
        }
    }

    /// A 128-bit id in UUID text form (8-4-4-4-12 lowercase hex).
    mutating func uuid(_ id: Digest128) {
        withCursor(reserving: ByteCursor.Bound.uuid + 2) { c in
            c.byte(UInt8(ascii: "\""))
            c.uuid(id)
            c.byte(UInt8(ascii: "\""))
        }
    }

    /// Lowercase hex of raw bytes, unquoted.
    mutating func hex(_ raw: UnsafeRawBufferPointer) {
        withCursor(reserving: 2 * raw.count) { $0.hex(raw) }
    }
}
