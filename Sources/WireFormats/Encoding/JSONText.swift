/// Appends JSON tokens as UTF-8 bytes to a byte buffer.
///
/// Exists so the fixture encoders (and fake upstreams in tests) can write
/// millions of lines without `JSONEncoder`'s per-value allocations: strings are
/// copied in runs between the bytes that need escaping, integers are formatted
/// in place.
public enum JSONText {
    /// Appends `text` as a JSON string literal: `"` and `\` are escaped with a
    /// backslash, every control character below U+0020 as `\u00XX`; everything else
    /// (including non-ASCII) is copied as UTF-8.
    @inlinable
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Native strings expose their UTF-8 without a copy; bridged ones are copied once.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if done == nil {
            var copy = text
            copy.withUTF8 { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends UTF-8 bytes escaped as the body of a JSON string (no quotes).
    @usableFromInline
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if runStart < index {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                }
                out.append(UInt8(ascii: "\\"))
                if byte < 0x20 {
                    out.append(UInt8(ascii: "u"))
                    out.append(UInt8(ascii: "0"))
                    out.append(UInt8(ascii: "0"))
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0x0F))
                } else {
                    out.append(byte)
                }
                runStart = index + 1
            }
            index += 1
        }
        if runStart < count {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        }
    }

    @usableFromInline
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Appends a non-negative integer in decimal.
    @inlinable
    public static func appendUnsigned(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value))
            return
        }
        // Digits are written backwards into 24 bytes on the stack, then copied once.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let digits = raw.bindMemory(to: UInt8.self)
            var index = digits.count
            var rest = value
            while rest > 0 {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    /// Appends a signed integer in decimal.
    @inlinable
    public static func appendSigned(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
        }
        appendUnsigned(value.magnitude, to: &out)
    }

    /// Appends an integer as a JSON string (`"123"`), as proto3 JSON writes int64/uint64.
    @inlinable
    public static func appendQuotedUnsigned(_ value: UInt64, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendUnsigned(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends ASCII punctuation or a key literal written in the source (`{"node_id":`).
    @inlinable
    public static func appendRaw(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }
}
