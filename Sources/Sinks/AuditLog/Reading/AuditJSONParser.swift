/// A JSON value with object members in document order (the order is part of
/// the canonical form, so the verifier must see it).
/// One `"key": value` member of an object, in document order. A named struct
/// rather than a tuple: a recursive enum over tuple arrays trips the compiler's
/// "circular reference" check depending on file order.
struct AuditJSONMember {
    var key: String
    var value: AuditJSON
}

indirect enum AuditJSON: Equatable {
    case null
    case bool(Bool)
    /// An integer literal, kept as its digits (the format has no fractions or exponents).
    case integer(negative: Bool, magnitude: UInt64)
    case string(String)
    case array([AuditJSON])
    case object([AuditJSONMember])

    static func == (lhs: AuditJSON, rhs: AuditJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.integer(let n1, let m1), .integer(let n2, let m2)): return n1 == n2 && m1 == m2
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    subscript(key: String) -> AuditJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var unsignedValue: UInt64? {
        if case .integer(false, let m) = self { return m }
        return nil
    }

    /// Re-encodes in the canonical form (what the writer produces for these values).
    func write(to writer: inout CanonicalJSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let b): writer.raw(b ? "true" : "false")
        case .integer(let negative, let magnitude):
            if negative { writer.raw(UInt8(ascii: "-")) }
            writer.integer(magnitude)
        case .string(let s): writer.string(s)
        case .array(let items):
            writer.raw(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { writer.raw(UInt8(ascii: ",")) }
                item.write(to: &writer)
            }
            writer.raw(UInt8(ascii: "]"))
        case .object(let members):
            writer.raw(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.string(member.key)
                writer.raw(UInt8(ascii: ":"))
                member.value.write(to: &writer)
            }
            writer.raw(UInt8(ascii: "}"))
        }
    }
}

/// A strict JSON parser for one audit line (RFC 8259, integers only).
struct AuditJSONParser {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "\(message) at byte \(offset + 1)" }
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses exactly one JSON value filling the whole buffer (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> AuditJSON {
        var parser = AuditJSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> AuditJSON {
        let result: Result<AuditJSON, Failure> = bytes.withUnsafeBytes { buffer in
            do throws(Failure) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func fail(_ message: String) -> Failure { Failure(offset: index, message: message) }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ literal: StaticString) throws(Failure) {
        let text = literal.withUTF8Buffer { Array($0) }
        guard index + text.count <= bytes.count else { throw fail("unexpected end of line") }
        for (i, c) in text.enumerated() where bytes[index + i] != c { throw fail("invalid literal") }
        index += text.count
    }

    private mutating func value() throws(Failure) -> AuditJSON {
        guard index < bytes.count else { throw fail("unexpected end of line") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func nest() throws(Failure) {
        depth += 1
        guard depth <= 32 else { throw fail("nested too deeply") }
    }

    private mutating func object() throws(Failure) -> AuditJSON {
        try nest()
        index += 1
        var members: [AuditJSONMember] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            let item = try value()
            if members.contains(where: { $0.key == key }) { throw fail("duplicate member \"\(key)\"") }
            members.append(AuditJSONMember(key: key, value: item))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            index += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws(Failure) -> AuditJSON {
        try nest()
        index += 1
        var items: [AuditJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            index += 1
            depth -= 1
            return .array(items)
        }
    }

    private mutating func number() throws(Failure) -> AuditJSON {
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[index] - 0x30))
            guard !o1, !o2 else { throw fail("integer out of range") }
            magnitude = a
            index += 1
        }
        guard index > start else { throw fail("expected digits") }
        if index - start > 1, bytes[start] == UInt8(ascii: "0") { throw fail("leading zero in a number") }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw fail("numbers in the audit format are integers")
        }
        return .integer(negative: negative, magnitude: magnitude)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unexpected end of line in \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5c)
            case UInt8(ascii: "/"): out.append(0x2f)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { throw fail("unpaired surrogate") }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default: throw fail("invalid escape")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return text
    }
}
