internal import Core
internal import Hashing

/// The verifier's fast path for a `usage` line in the middle of a chain: one
/// pass over the bytes in the fixed member order, checking canonical form while
/// scanning, then SHA-256 of the body straight from the read buffer. No
/// allocation per line.
///
/// It only ever says "this line holds": whenever anything is unusual (any
/// rule broken, but also a string with an escape or a non-ASCII byte, a time
/// outside 1970...2199, a large amount) it answers `false` and the scanner runs
/// the full slow path on the line, which gives the verdict and the precise
/// error. So every line this accepts must be one the slow path accepts; the
/// property tests check that both paths agree on tampered files.
enum AuditFastUsageCheck {
    /// Whether `line` (without its newline) is a valid `usage` line with `seq`
    /// `expectedSeq`, `prev_hash` equal to `previousHash` (64 hex bytes) and a
    /// correct `hash`; `factID` gets the line's `fact_id` when it is.
    static func holds(
        _ line: UnsafeRawBufferPointer, expectedSeq: UInt64, previousHash: UnsafeRawBufferPointer,
        factID: inout FactID
    ) -> Bool {
        guard line.count > 75 + 2, previousHash.count == 64, let base = line.baseAddress else { return false }
        var s = Scan(
            position: base.assumingMemoryBound(to: UInt8.self),
            end: base.assumingMemoryBound(to: UInt8.self) + line.count)
        guard s.literal("{\"seq\":"), s.integer() == expectedSeq,
            s.literal(",\"kind\":\"usage\",\"prev_hash\":\""), s.equals(previousHash), s.literal("\""),
            s.literal(",\"pipeline\":"), s.string(),
            s.literal(",\"batch\":"), s.integer() != nil,
            s.literal(",\"fact_id\":\""), s.uuid(into: &factID), s.literal("\""),
            s.literal(",\"source\":"), s.string(),
            s.literal(",\"subject\":"), s.string(),
            s.literal(",\"metric\":"), s.string(),
            s.literal(",\"unit\":"), s.string(),
            s.literal(",\"dimensions\":{"), s.dimensions(),
            s.literal(",\"minute\":\""), s.time(minuteStart: true), s.literal("\""),
            s.literal(",\"from\":\""), s.time(minuteStart: false), s.literal("\""),
            s.literal(",\"to\":\""), s.time(minuteStart: false), s.literal("\""),
            s.literal(",\"quantity\":\""), s.integer() != nil, s.literal("\""),
            s.literal(",\"flags\":"), s.flags(),
            s.literal(",\"amount\":\""), s.money(), s.literal("\""),
            s.literal(",\"currency\":"), s.string(),
            s.literal(",\"price_book\":"), s.string()
        else { return false }
        let bodyEnd = s.position
        guard s.literal(",\"hash\":\""), s.end - s.position == 66, s.end[-2] == UInt8(ascii: "\""),
            s.end[-1] == UInt8(ascii: "}")
        else { return false }
        let stored = UnsafeRawBufferPointer(start: s.position, count: 64)
        var hasher = SHA256Hasher()
        hasher.update(previousHash)
        withUnsafeBytes(of: UInt8(ascii: "\n")) { hasher.update($0) }
        hasher.update(UnsafeRawBufferPointer(start: base, count: bodyEnd - base.assumingMemoryBound(to: UInt8.self)))
        withUnsafeBytes(of: UInt8(ascii: "}")) { hasher.update($0) }
        let digest = hasher.finalize()
        return digest.withUnsafeBytes { raw in
            for i in 0..<32 {
                let b = raw[i]
                guard stored[2 * i] == ByteCursor.hexDigit(b >> 4), stored[2 * i + 1] == ByteCursor.hexDigit(b & 0x0f)
                else { return false }
            }
            return true
        }
    }

    /// A forward scan over one line; every method consumes what it accepts and
    /// answers `false` (or `nil`) otherwise.
    struct Scan {
        var position: UnsafePointer<UInt8>
        let end: UnsafePointer<UInt8>

        @inline(__always)
        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard end - position >= count, memcmpEqual(position, text.utf8Start, count) else { return false }
            position += count
            return true
        }

        @inline(__always)
        mutating func equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard let base = bytes.baseAddress, end - position >= bytes.count,
                memcmpEqual(position, base.assumingMemoryBound(to: UInt8.self), bytes.count)
            else { return false }
            position += bytes.count
            return true
        }

        @inline(__always)
        private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
            var i = 0
            while i + 8 <= count {
                let x = UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
                let y = UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
                if x != y { return false }
                i += 8
            }
            while i < count {
                if a[i] != b[i] { return false }
                i += 1
            }
            return true
        }

        @inline(__always)
        static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

        /// A canonical unsigned decimal (no sign, no leading zero) that fits UInt64.
        mutating func integer() -> UInt64? {
            guard position < end, Self.isDigit(position[0]) else { return nil }
            if position[0] == UInt8(ascii: "0") {
                position += 1
                guard position == end || !Self.isDigit(position[0]) else { return nil }
                return 0
            }
            var value: UInt64 = 0
            var digits = 0
            while position < end, Self.isDigit(position[0]) {
                digits += 1
                // 19 digits always fit; longer numbers go to the slow path.
                guard digits <= 19 else { return nil }
                value = value &* 10 &+ UInt64(position[0] &- 0x30)
                position += 1
            }
            return value
        }

        /// A quoted string of printable ASCII without escapes (anything else: slow path).
        @inline(__always)
        mutating func string() -> Bool {
            guard position < end, position[0] == UInt8(ascii: "\"") else { return false }
            var p = position + 1
            while p < end {
                let c = p[0]
                if c == UInt8(ascii: "\"") {
                    position = p + 1
                    return true
                }
                // 0x20...0x7e except `\` (and `"`, handled above).
                guard c &- 0x20 < 0x5f, c != UInt8(ascii: "\\") else { return false }
                p += 1
            }
            return false
        }

        /// The members of `dimensions` after its `{`, then `}`: plain strings,
        /// keys strictly increasing by bytes (so sorted and without duplicates).
        mutating func dimensions() -> Bool {
            if position < end, position[0] == UInt8(ascii: "}") {
                position += 1
                return true
            }
            var previousKey: (UnsafePointer<UInt8>, Int)?
            while true {
                let keyStart = position + 1
                guard string() else { return false }
                let key = (keyStart, position - 1 - keyStart)
                if let previous = previousKey, !Self.precedes(previous, key) { return false }
                previousKey = key
                guard literal(":"), string(), position < end else { return false }
                let c = position[0]
                position += 1
                if c == UInt8(ascii: "}") { return true }
                guard c == UInt8(ascii: ",") else { return false }
            }
        }

        private static func precedes(_ a: (UnsafePointer<UInt8>, Int), _ b: (UnsafePointer<UInt8>, Int)) -> Bool {
            let n = min(a.1, b.1)
            for i in 0..<n where a.0[i] != b.0[i] { return a.0[i] < b.0[i] }
            return a.1 < b.1
        }

        /// Exactly `count` digits as a number.
        @inline(__always)
        private mutating func digits(_ count: Int) -> Int? {
            guard end - position >= count else { return nil }
            var value = 0
            for i in 0..<count {
                let c = position[i]
                guard Self.isDigit(c) else { return nil }
                value = value * 10 + Int(c &- 0x30)
            }
            position += count
            return value
        }

        /// A canonical RFC 3339 UTC time between 1970 and 2199: whole seconds, or
        /// nine fractional digits not all zero. `minuteStart`: seconds 00, no fraction.
        mutating func time(minuteStart: Bool) -> Bool {
            guard let year = digits(4), (1970...2199).contains(year), literal("-"), let month = digits(2),
                (1...12).contains(month), literal("-"), let day = digits(2), day >= 1,
                day <= Self.daysInMonth(year: year, month: month), literal("T"), let hour = digits(2), hour < 24,
                literal(":"), let minute = digits(2), minute < 60, literal(":"), let second = digits(2), second < 60
            else { return false }
            if minuteStart { return second == 0 && literal("Z") }
            if literal("Z") { return true }
            guard literal("."), let fraction = digits(9), fraction != 0 else { return false }
            return literal("Z")
        }

        static func daysInMonth(year: Int, month: Int) -> Int {
            switch month {
            case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }

        /// 8-4-4-4-12 lowercase hex.
        /// A lowercase 8-4-4-4-12 UUID, its 128 bits into `value`.
        mutating func uuid(into value: inout FactID) -> Bool {
            guard end - position >= 36 else { return false }
            var high: UInt64 = 0
            var low: UInt64 = 0
            var nibbles = 0
            for i in 0..<36 {
                let c = position[i]
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard c == UInt8(ascii: "-") else { return false }
                    continue
                }
                let nibble: UInt8
                if Self.isDigit(c) {
                    nibble = c &- 0x30
                } else if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f") {
                    nibble = c &- UInt8(ascii: "a") &+ 10
                } else {
                    return false
                }
                if nibbles < 16 {
                    high = high << 4 | UInt64(nibble)
                } else {
                    low = low << 4 | UInt64(nibble)
                }
                nibbles += 1
            }
            position += 36
            value = FactID(high: high, low: low)
            return true
        }

        /// `[]` or a subset of `"reset"`, `"gap"`, `"initial"` in that order.
        mutating func flags() -> Bool {
            guard literal("[") else { return false }
            if literal("]") { return true }
            var allowedFrom = 0  // 0: reset, 1: gap, 2: initial; each name only after the earlier ones
            while true {
                if allowedFrom > 0 { guard literal(",") else { return false } }
                if allowedFrom <= 0 && literal("\"reset\"") {
                    allowedFrom = 1
                } else if allowedFrom <= 1 && literal("\"gap\"") {
                    allowedFrom = 2
                } else if allowedFrom <= 2 && literal("\"initial\"") {
                    allowedFrom = 3
                } else {
                    return false
                }
                if literal("]") { return true }
            }
        }

        /// A canonical amount: `-`? integer (no leading zero, at most 18 digits)
        /// and an optional fraction of 1...18 digits without a trailing zero; not `-0`.
        mutating func money() -> Bool {
            let negative = literal("-")
            guard position < end, Self.isDigit(position[0]) else { return false }
            let integerStart = position
            if position[0] == UInt8(ascii: "0") {
                position += 1
            } else {
                while position < end, Self.isDigit(position[0]) { position += 1 }
                guard position - integerStart <= 18 else { return false }
            }
            var nonzero = !(position - integerStart == 1 && integerStart[0] == UInt8(ascii: "0"))
            if position < end, position[0] == UInt8(ascii: ".") {
                position += 1
                let fractionStart = position
                while position < end, Self.isDigit(position[0]) { position += 1 }
                let count = position - fractionStart
                guard count >= 1, count <= 18, position[-1] != UInt8(ascii: "0") else { return false }
                nonzero = true
            }
            return !negative || nonzero
        }
    }
}
