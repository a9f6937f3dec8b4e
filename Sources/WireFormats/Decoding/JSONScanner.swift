import Core

/// A forward-only JSON reader over raw UTF-8 bytes that never allocates except
/// for the strings a decoder asks it to materialize.
///
/// Exists because Foundation's `JSONDecoder` decodes ~17 MB/s, an order of
/// magnitude below what replay and ingest need. Every read is bounds-checked:
/// malformed or truncated input becomes a `WireFormatError`, never a trap.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index: Int = 0
    /// Nesting depth of skipped values, bounded so hostile input cannot exhaust the stack.
    static let maximumDepth = 128

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // MARK: Errors

    func error(_ message: String, at position: Int? = nil) -> WireFormatError {
        WireFormatError(message, column: (position ?? index) + 1)
    }

    func unexpected(expecting what: String) -> WireFormatError {
        guard index < bytes.count else { return error("truncated: expected \(what)") }
        let found = bytes[index]
        let shown: String
        if found >= 0x20, found < 0x7F {
            shown = "'" + String(UnicodeScalar(found)) + "'"
        } else {
            shown = "byte 0x" + String(found, radix: 16, uppercase: true)
        }
        return error("expected \(what), found \(shown)")
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index &+= 1
        }
    }

    /// The next non-whitespace byte, not consumed; `nil` at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    mutating func consume(_ c: UInt8, _ what: String) throws(WireFormatError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == c else { throw unexpected(expecting: what) }
        index &+= 1
    }

    /// After the top-level value: only whitespace may follow.
    mutating func finish() throws(WireFormatError) {
        skipWhitespace()
        guard index == bytes.count else { throw error("trailing characters after the JSON value") }
    }

    /// Consumes `{`; then call `nextKey` until it returns `nil`.
    mutating func beginObject() throws(WireFormatError) {
        try consume(UInt8(ascii: "{"), "an object '{'")
    }

    /// The next key of an object (its `:` consumed), or `nil` after its closing `}`.
    mutating func nextKey(first: inout Bool) throws(WireFormatError) -> JSONRawString? {
        skipWhitespace()
        guard index < bytes.count else { throw error("truncated: expected '}' or a key") }
        if bytes[index] == UInt8(ascii: "}") {
            index &+= 1
            return nil
        }
        if first {
            first = false
        } else {
            guard bytes[index] == UInt8(ascii: ",") else { throw unexpected(expecting: "',' or '}'") }
            index &+= 1
            skipWhitespace()
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw unexpected(expecting: "a key string")
        }
        let key = try scanString()
        try consume(UInt8(ascii: ":"), "':' after a key")
        return key
    }

    /// Consumes `[`; then call `nextElement` until it returns `false`.
    mutating func beginArray() throws(WireFormatError) {
        try consume(UInt8(ascii: "["), "an array '['")
    }

    /// `true` when another element follows (its separator consumed); `false` after `]`.
    mutating func nextElement(first: inout Bool) throws(WireFormatError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw error("truncated: expected ']' or a value") }
        if first {
            first = false
            if bytes[index] == UInt8(ascii: "]") {
                index &+= 1
                return false
            }
            return true
        }
        if bytes[index] == UInt8(ascii: "]") {
            index &+= 1
            return false
        }
        guard bytes[index] == UInt8(ascii: ",") else { throw unexpected(expecting: "',' or ']'") }
        index &+= 1
        return true
    }

    /// Consumes `null` if it is next.
    mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard index &+ 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index &+ 1] == UInt8(ascii: "u"),
            bytes[index &+ 2] == UInt8(ascii: "l"), bytes[index &+ 3] == UInt8(ascii: "l")
        else { return false }
        index &+= 4
        return true
    }

    // MARK: Scalars

    /// Reads a string token (opening quote next) without materializing it.
    mutating func scanString() throws(WireFormatError) -> JSONRawString {
        let open = index
        index &+= 1
        var escapes = false
        var nonASCII = false
        var control = false
        while index < bytes.count {
            skipPlainASCII()
            guard index < bytes.count else { break }
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                let raw = JSONRawString(
                    start: open &+ 1, end: index, hasEscapes: escapes, isASCII: !nonASCII, hasControl: control)
                index &+= 1
                if nonASCII, !UTF8Validation.isValid(bytes, from: raw.start, to: raw.end) {
                    throw error("invalid UTF-8 in a string", at: open)
                }
                return raw
            }
            if c == UInt8(ascii: "\\") {
                escapes = true
                index &+= 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index &+= 1
                case UInt8(ascii: "u"):
                    // Validated here, not only when materialized, so skipped values are full JSON too.
                    let escapeStart = index &- 1
                    guard let unit = hexEscape(at: escapeStart) else {
                        if index &+ 4 >= bytes.count { index = bytes.count; break }
                        throw error("invalid \\u escape", at: escapeStart)
                    }
                    index &+= 5
                    if unit >= 0xDC00, unit <= 0xDFFF {
                        throw error("unpaired surrogate in a \\u escape", at: escapeStart)
                    }
                    if unit >= 0xD800, unit <= 0xDBFF {
                        guard let low = hexEscape(at: index), low >= 0xDC00, low <= 0xDFFF else {
                            throw error("unpaired surrogate in a \\u escape", at: escapeStart)
                        }
                        index &+= 6
                    }
                default:
                    throw error("invalid escape sequence", at: index &- 1)
                }
                continue
            }
            if c < 0x20 { throw error("control character in a string (must be escaped)") }
            if c >= 0x80 {
                nonASCII = true
                // A C1 control (C2 80…C2 9F) is valid UTF-8 but no label may hold it (LabelRules).
                if index &+ 1 < bytes.count, LabelRules.isC1Control(lead: c, next: bytes[index &+ 1]) { control = true }
            } else if c == 0x7F {
                control = true
            }
            index &+= 1
        }
        throw error("truncated: unterminated string", at: open)
    }

    /// Advances over printable ASCII other than `"`, `\\` and DEL, eight bytes at a time
    /// (SWAR: each test below is exact for "some byte of the word matches").
    @inline(__always)
    private mutating func skipPlainASCII() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* 0x22
        let backslashes = ones &* 0x5C
        let controls = ones &* 0x20
        let deletes = ones &* 0x7F
        while index &+ 8 <= bytes.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let q = word ^ quotes
            let b = word ^ backslashes
            let d = word ^ deletes
            let special =
                ((q &- ones) & ~q) | ((b &- ones) & ~b) | ((d &- ones) & ~d) | ((word &- controls) & ~word) | word
            if special & highs != 0 { return }
            index &+= 8
        }
    }

    /// Reads a string value and materializes it.
    mutating func readString() throws(WireFormatError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string") }
        let raw = try scanString()
        return try string(raw)
    }

    /// A string value, or `nil` for `null`.
    mutating func readOptionalString() throws(WireFormatError) -> String? {
        if consumeNull() { return nil }
        return try readString()
    }

    /// Reads a string value held to `LabelRules` for `field` (length, no control
    /// characters), using what `scanString` saw instead of scanning it again.
    mutating func readLabel(_ field: LabelField) throws(WireFormatError) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string") }
        let raw = try scanString()
        return try label(raw, field)
    }

    /// A label, or `nil` for `null`.
    mutating func readOptionalLabel(_ field: LabelField) throws(WireFormatError) -> String? {
        if consumeNull() { return nil }
        return try readLabel(field)
    }

    /// Checks a scanned string against `LabelRules` without keeping it.
    mutating func skipLabel(_ field: LabelField) throws(WireFormatError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string") }
        let raw = try scanString()
        if raw.hasEscapes {
            let text = try unescaped(raw)
            if let violation = text.withUnsafeBytes({ LabelRules.violation(in: $0, field: field) }) {
                throw error(violation.description, at: raw.start &- 1)
            }
        } else {
            try checkPlainLabel(raw, field)
        }
    }

    /// Materializes a scanned string that must follow `LabelRules` for `field`.
    func label(_ raw: JSONRawString, _ field: LabelField) throws(WireFormatError) -> String {
        if raw.hasEscapes {
            // Escapes are rare: check the resolved bytes (a \u0000 becomes a NUL only here).
            let text = try unescaped(raw)
            if let violation = text.withUnsafeBytes({ LabelRules.violation(in: $0, field: field) }) {
                throw error(violation.description, at: raw.start &- 1)
            }
            return String(decoding: text, as: UTF8.self)
        }
        try checkPlainLabel(raw, field)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.end]), as: UTF8.self)
    }

    /// The rules for a string without escapes: its length, and the control flag the scan set.
    @inline(__always)
    private func checkPlainLabel(_ raw: JSONRawString, _ field: LabelField) throws(WireFormatError) {
        let length = raw.end &- raw.start
        guard length <= field.maximumBytes, !raw.hasControl else {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.end])
            let violation = LabelRules.violation(in: slice, field: field) ?? .tooLong(field: field, bytes: length)
            if case .controlCharacter(_, _, let offset) = violation {
                throw error(violation.description, at: raw.start &+ offset)
            }
            throw error(violation.description, at: raw.start &- 1)
        }
    }

    /// Materializes a scanned string: escapes resolved, surrogate pairs joined.
    func string(_ raw: JSONRawString) throws(WireFormatError) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.end])
        if !raw.hasEscapes { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: try unescaped(raw), as: UTF8.self)
    }

    /// The UTF-8 bytes of an escaped string with its escapes resolved.
    func unescaped(_ raw: JSONRawString) throws(WireFormatError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.end &- raw.start)
        var i = raw.start
        while i < raw.end {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i &+= 1
                continue
            }
            // scanString validated the escape's shape.
            let e = bytes[i &+ 1]
            i &+= 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let escapeStart = i &- 2
                var scalar = hex4(at: i)
                i &+= 4
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    guard i &+ 6 <= raw.end, bytes[i] == UInt8(ascii: "\\"), bytes[i &+ 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in a \\u escape", at: escapeStart)
                    }
                    let low = hex4(at: i &+ 2)
                    guard low >= 0xDC00, low <= 0xDFFF else {
                        throw error("unpaired surrogate in a \\u escape", at: escapeStart)
                    }
                    scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                    i &+= 6
                } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                    throw error("unpaired surrogate in a \\u escape", at: escapeStart)
                }
                Self.appendUTF8(scalar, to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return out
    }

    /// The code unit of a `\\uXXXX` escape starting at `i` (the backslash), or `nil`.
    private func hexEscape(at i: Int) -> UInt32? {
        guard i &+ 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i &+ 1] == UInt8(ascii: "u") else {
            return nil
        }
        var v: UInt32 = 0
        for k in 2..<6 {
            guard let h = Self.hexValue(bytes[i &+ k]) else { return nil }
            v = v &<< 4 | UInt32(h)
        }
        return v
    }

    private func hex4(at i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v &<< 4 | UInt32(Self.hexValue(bytes[i &+ k]) ?? 0) }
        return v
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            out.append(UInt8(truncatingIfNeeded: 0xC0 | (scalar >> 6)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(truncatingIfNeeded: 0xE0 | (scalar >> 12)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        }
    }

    /// A counter: a non-negative integer no larger than `Int64.max`, written as a JSON
    /// number or, when `allowString`, as a string of decimal digits (proto3 JSON int64).
    mutating func readCounter(allowString: Bool) throws(WireFormatError) -> UInt64 {
        skipWhitespace()
        guard index < bytes.count else { throw error("truncated: expected a non-negative integer") }
        let c = bytes[index]
        if c == UInt8(ascii: "\"") {
            guard allowString else { throw error("expected a non-negative integer as a JSON number, found a string") }
            let open = index
            index &+= 1
            let value = try digits(quoted: true)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                if index >= bytes.count { throw error("truncated: unterminated string", at: open) }
                throw error("expected a string of decimal digits (a non-negative integer)", at: open)
            }
            index &+= 1
            return value
        }
        return try digits(quoted: false)
    }

    private mutating func digits(quoted: Bool) throws(WireFormatError) -> UInt64 {
        let start = index
        guard index < bytes.count else { throw error("truncated: expected a non-negative integer") }
        if bytes[index] == UInt8(ascii: "-") { throw error("must not be negative") }
        guard bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
            throw unexpected(expecting: "a non-negative integer")
        }
        var value: UInt64 = 0
        let limit = UInt64(Int64.max)
        while index < bytes.count {
            let d = bytes[index] &- UInt8(ascii: "0")
            guard d <= 9 else { break }
            if index > start, bytes[start] == UInt8(ascii: "0") { throw error("leading zero in a number", at: start) }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(d))
            guard !o1, !o2, next <= limit else { throw error("integer beyond the int64 range", at: start) }
            value = next
            index &+= 1
        }
        if index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                throw error("must be an integer (no fraction or exponent)", at: start)
            }
        }
        return value
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws(WireFormatError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw unexpected(expecting: "true or false")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard index &+ n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[index &+ k] != p[k] { return false }
        index &+= n
        return true
    }

    /// Reads an RFC 3339 timestamp string.
    mutating func readTimestamp() throws(WireFormatError) -> Timestamp {
        skipWhitespace()
        let start = index
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw unexpected(expecting: "an RFC 3339 timestamp string")
        }
        let raw = try scanString()
        let parsed: Result<Timestamp, TimestampParseError>
        if raw.hasEscapes {
            let text = try unescaped(raw)
            parsed = text.withUnsafeBytes { Self.acceptedTimestamp($0) }
        } else {
            parsed = Self.acceptedTimestamp(UnsafeRawBufferPointer(rebasing: bytes[raw.start..<raw.end]))
        }
        switch parsed {
        case .success(let time): return time
        case .failure(let failure): throw error(failure.description, at: start)
        }
    }

    /// A timestamp in `Timestamp.acceptedRange`, or why not.
    @inline(__always)
    private static func acceptedTimestamp(_ bytes: UnsafeRawBufferPointer) -> Result<Timestamp, TimestampParseError> {
        do throws(TimestampParseError) {
            return .success(try Timestamp.parse(rfc3339UTF8: bytes, acceptedOnly: true))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Skipping

    /// Skips any JSON value, validating it.
    mutating func skipValue(depth: Int = 0) throws(WireFormatError) {
        skipWhitespace()
        guard index < bytes.count else { throw error("truncated: expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
            index &+= 1
            var first = true
            while try nextKey(first: &first) != nil { try skipValue(depth: depth &+ 1) }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
            index &+= 1
            var first = true
            while try nextElement(first: &first) { try skipValue(depth: depth &+ 1) }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            guard consumeNull() else { throw unexpected(expecting: "a value") }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw unexpected(expecting: "a value")
        }
    }

    /// Skips a JSON number of any size, validating its grammar.
    private mutating func skipNumber() throws(WireFormatError) {
        let start = index
        @inline(__always) func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        if bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard isDigit(index) else { throw error("invalid number", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
            if isDigit(index) { throw error("leading zero in a number", at: start) }
        } else {
            while isDigit(index) { index &+= 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            guard isDigit(index) else { throw error("invalid number", at: start) }
            while isDigit(index) { index &+= 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index &+= 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index &+= 1
            }
            guard isDigit(index) else { throw error("invalid number", at: start) }
            while isDigit(index) { index &+= 1 }
        }
    }
}

/// A string token's position in the input; materialized only when a decoder needs it.
struct JSONRawString {
    var start: Int
    var end: Int
    var hasEscapes: Bool
    var isASCII: Bool
    /// A DEL or a C1 control was seen (C0 controls must be escaped, so they only appear through escapes).
    var hasControl: Bool
}

/// A fixed set of object keys a decoder recognizes, each mapped to a field number
/// (aliases such as `cpu_time_nanos`/`cpuTimeNanos` share one).
struct JSONKeyTable: Sendable {
    private let keys: [(bytes: [UInt8], field: Int)]

    init(_ keys: [(String, Int)]) {
        self.keys = keys.map { (Array($0.0.utf8), $0.1) }
    }

    /// The field number of `raw`, or `nil` for an unknown key.
    func field(of raw: JSONRawString, in scanner: JSONScanner) throws(WireFormatError) -> Int? {
        if raw.hasEscapes {
            let text = try scanner.unescaped(raw)
            for entry in keys where entry.bytes == text { return entry.field }
            return nil
        }
        let length = raw.end &- raw.start
        let bytes = scanner.bytes
        search: for entry in keys where entry.bytes.count == length {
            var k = 0
            while k < length {
                if entry.bytes[k] != bytes[raw.start &+ k] { continue search }
                k &+= 1
            }
            return entry.field
        }
        return nil
    }
}
