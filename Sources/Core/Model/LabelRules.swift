/// The labels of a series (source id, subject, metric, dimension keys and values)
/// and the client strings kept with them (idempotency keys), with their limits.
///
/// Exists so every decoder, the generator's config and the sinks hold labels to
/// one set of rules, checked before anything is written: valid UTF-8, no control
/// characters (U+0000…U+001F, U+007F, U+0080…U+009F) and at most `maximumBytes`
/// UTF-8 bytes, so PostgreSQL (text cannot hold NUL; an index row holds ~2.7 kB)
/// and the audit file take every label a decoder let through.
/// Documented in docs/observations-format.md ("Labels").
public enum LabelField: Sendable, Hashable, CaseIterable {
    case source, subject, metric, dimensionKey, dimensionValue, idempotencyKey

    /// The most UTF-8 bytes a label of this kind may have.
    public var maximumBytes: Int {
        switch self {
        case .source, .dimensionKey: return 64
        case .metric: return 128
        case .subject, .dimensionValue, .idempotencyKey: return 256
        }
    }

    /// How the limit is named in an error (`a subject`).
    public var name: String {
        switch self {
        case .source: return "a source id"
        case .subject: return "a subject"
        case .metric: return "a metric name"
        case .dimensionKey: return "a dimension key"
        case .dimensionValue: return "a dimension value"
        case .idempotencyKey: return "an idempotency key"
        }
    }
}

/// Why a label breaks `LabelRules`, with the 0-based byte offset of the offender.
public enum LabelViolation: Error, Hashable, Sendable, CustomStringConvertible {
    case tooLong(field: LabelField, bytes: Int)
    case controlCharacter(field: LabelField, scalar: UInt32, offset: Int)
    case invalidUTF8(field: LabelField, offset: Int)
    case tooManyDimensions(count: Int)

    public var description: String {
        switch self {
        case .tooLong(let field, let bytes):
            return "\(bytes) bytes long; \(field.name) may have at most \(field.maximumBytes) bytes"
        case .controlCharacter(let field, let scalar, let offset):
            let hex = String(scalar, radix: 16, uppercase: true)
            let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            return "control character U+\(code) at byte \(offset); \(field.name) must not contain control characters"
        case .invalidUTF8(let field, let offset):
            return "invalid UTF-8 at byte \(offset); \(field.name) must be valid UTF-8"
        case .tooManyDimensions(let count):
            return "\(count) dimensions; at most \(LabelRules.maximumDimensions) are allowed"
        }
    }
}

/// The checks of `LabelField`'s rules. Decoders that scan bytes themselves use
/// `isControl(ascii:)` and `isC1Control(lead:next:)` in their own loop and
/// `violation(in:field:)` only to name the offender; everyone else calls
/// `violation(in:field:)` on the whole label.
public enum LabelRules {
    /// The most dimensions one series may carry.
    public static let maximumDimensions = 32

    /// A C0 control character or DEL (one byte in UTF-8).
    @inlinable
    public static func isControl(ascii byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// The two-byte UTF-8 form of a C1 control character (U+0080…U+009F): C2 80…C2 9F.
    @inlinable
    public static func isC1Control(lead: UInt8, next: UInt8) -> Bool { lead == 0xC2 && next < 0xA0 }

    /// The first rule `bytes` (a label's UTF-8) breaks, or `nil`.
    public static func violation(in bytes: UnsafeRawBufferPointer, field: LabelField) -> LabelViolation? {
        if bytes.count > field.maximumBytes { return .tooLong(field: field, bytes: bytes.count) }
        var i = 0
        let end = bytes.count
        while i < end {
            let b0 = bytes[i]
            if b0 < 0x80 {
                if isControl(ascii: b0) { return .controlCharacter(field: field, scalar: UInt32(b0), offset: i) }
                i &+= 1
                continue
            }
            let length = utf8SequenceLength(bytes, at: i)
            guard length > 0 else { return .invalidUTF8(field: field, offset: i) }
            if length == 2, isC1Control(lead: b0, next: bytes[i &+ 1]) {
                return .controlCharacter(field: field, scalar: UInt32(bytes[i &+ 1]), offset: i)
            }
            i &+= length
        }
        return nil
    }

    /// The first rule `text` breaks, or `nil` (a Swift `String` is valid UTF-8 already).
    public static func violation(in text: String, field: LabelField) -> LabelViolation? {
        var copy = text
        return copy.withUTF8 { violation(in: UnsafeRawBufferPointer($0), field: field) }
    }

    /// The length of the valid UTF-8 sequence at `i`, or 0 (overlong, surrogate, beyond U+10FFFF, truncated).
    static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        let end = bytes.count
        @inline(__always) func continuation(_ k: Int) -> Bool { k < end && bytes[k] & 0xC0 == 0x80 }
        let b0 = bytes[i]
        if b0 < 0xC2 { return 0 }
        if b0 < 0xE0 { return continuation(i &+ 1) ? 2 : 0 }
        if b0 < 0xF0 {
            guard continuation(i &+ 1), continuation(i &+ 2) else { return 0 }
            let b1 = bytes[i &+ 1]
            if b0 == 0xE0, b1 < 0xA0 { return 0 }
            if b0 == 0xED, b1 > 0x9F { return 0 }
            return 3
        }
        if b0 < 0xF5 {
            guard continuation(i &+ 1), continuation(i &+ 2), continuation(i &+ 3) else { return 0 }
            let b1 = bytes[i &+ 1]
            if b0 == 0xF0, b1 < 0x90 { return 0 }
            if b0 == 0xF4, b1 > 0x8F { return 0 }
            return 4
        }
        return 0
    }
}
