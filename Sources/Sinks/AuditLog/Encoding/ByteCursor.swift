internal import Core

/// Writes canonical JSON pieces straight into memory that the caller reserved
/// (`CanonicalJSONWriter.withCursor(reserving:_:)`): no bounds, capacity or
/// uniqueness checks per byte, no temporary strings or arrays. The caller
/// reserves an upper bound of what it writes (see `Bound`).
struct ByteCursor {
    var position: UnsafeMutablePointer<UInt8>

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        position.pointee = value
        position += 1
    }

    @inline(__always)
    mutating func raw(_ text: StaticString) {
        let count = text.utf8CodeUnitCount
        position.update(from: text.utf8Start, count: count)
        position += count
    }

    @inline(__always)
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        UnsafeMutableRawPointer(position).copyMemory(from: base, byteCount: bytes.count)
        position += bytes.count
    }

    /// `,"key":` (or `"key":` for the first member).
    @inline(__always)
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { byte(UInt8(ascii: ",")) }
        byte(UInt8(ascii: "\""))
        raw(name)
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
    }

    /// A JSON string with the canonical escapes (see `CanonicalJSONWriter.string`).
    /// Writes at most `Bound.string(utf8Count)` bytes.
    mutating func string(utf8: UnsafeRawBufferPointer) {
        byte(UInt8(ascii: "\""))
        var out = position
        for c in utf8 {
            if Self.plain(c) {
                out.pointee = c
                out += 1
                continue
            }
            out[0] = UInt8(ascii: "\\")
            switch c {
            case 0x22, 0x5c:
                out[1] = c
                out += 2
            case 0x08:
                out[1] = UInt8(ascii: "b")
                out += 2
            case 0x0c:
                out[1] = UInt8(ascii: "f")
                out += 2
            case 0x0a:
                out[1] = UInt8(ascii: "n")
                out += 2
            case 0x0d:
                out[1] = UInt8(ascii: "r")
                out += 2
            case 0x09:
                out[1] = UInt8(ascii: "t")
                out += 2
            default:
                out[1] = UInt8(ascii: "u")
                out[2] = UInt8(ascii: "0")
                out[3] = UInt8(ascii: "0")
                out[4] = Self.hexDigit(c >> 4)
                out[5] = Self.hexDigit(c & 0x0f)
                out += 6
            }
        }
        position = out
        byte(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A byte that a canonical string holds as is.
    @inline(__always)
    static func plain(_ c: UInt8) -> Bool { c >= 0x20 && c != 0x22 && c != 0x5c && c != 0x7f }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble }

    /// Number of decimal digits of `value` (1 for 0).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        var count = 1
        var limit: UInt64 = 10
        while count < 20 && value >= limit {
            count += 1
            limit = limit &* 10
        }
        return count
    }

    /// `value` in decimal, left-padded with zeros to `minimumWidth` digits.
    @inline(__always)
    mutating func decimal(_ value: UInt64, minimumWidth: Int = 1) {
        let width = max(Self.digitCount(value), minimumWidth)
        var v = value
        var i = width
        while i >= 2 && v >= 10 {
            let pair = Int(v % 100)
            v /= 100
            i -= 2
            position[i] = Self.digitPairs[pair &* 2]
            position[i + 1] = Self.digitPairs[pair &* 2 + 1]
        }
        while i > 0 {
            i -= 1
            position[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
        position += width
    }

    /// Exactly two digits (`00`...`99`).
    @inline(__always)
    mutating func twoDigits(_ value: Int64) {
        let pair = Int(value) &* 2
        position[0] = Self.digitPairs[pair]
        position[1] = Self.digitPairs[pair + 1]
        position += 2
    }

    /// "00" "01" ... "99" as 200 bytes (a static string: no lazy global to check per use).
    static let digitPairsText: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    @inline(__always)
    static var digitPairs: UnsafePointer<UInt8> { digitPairsText.utf8Start }

    /// Money in `Money.description` spelling, unquoted. At most `Bound.money` bytes.
    mutating func money(_ amount: Money) {
        let magnitude = amount.scaled.magnitude
        if amount.scaled < 0 { byte(UInt8(ascii: "-")) }
        let integerPart: UInt128
        let fraction: UInt64
        if magnitude <= UInt128(UInt64.max) {
            // One 64-bit division instead of two 128-bit ones (amounts below ~18.4).
            let small = UInt64(truncatingIfNeeded: magnitude)
            let oneSmall = UInt64(truncatingIfNeeded: Money.one)
            integerPart = UInt128(small / oneSmall)
            fraction = small % oneSmall
        } else {
            let one = UInt128(Money.one)
            integerPart = magnitude / one
            fraction = UInt64(truncatingIfNeeded: magnitude % one)
        }
        if integerPart <= UInt128(UInt64.max) {
            decimal(UInt64(truncatingIfNeeded: integerPart))
        } else {
            let high = integerPart / 10_000_000_000_000_000_000
            let low = UInt64(truncatingIfNeeded: integerPart % 10_000_000_000_000_000_000)
            // integerPart < 2^127 / 10^18 < 10^21, so `high` < 10^2 fits one word.
            decimal(UInt64(truncatingIfNeeded: high))
            decimal(low, minimumWidth: 19)
        }
        if fraction != 0 {
            byte(UInt8(ascii: "."))
            var digits = fraction
            var width = Money.scale
            while digits % 10 == 0 {
                digits /= 10
                width -= 1
            }
            decimal(digits, minimumWidth: width)
        }
    }

    /// RFC 3339 UTC, whole seconds or nine fractional digits, unquoted. At most
    /// `Bound.timestamp` bytes.
    mutating func rfc3339(_ time: Timestamp) {
        let ns = time.nanosecondsSinceEpoch
        let (q, r) = ns.quotientAndRemainder(dividingBy: Timestamp.nanosecondsPerSecond)
        let seconds = r < 0 ? q - 1 : q
        let nanos = r < 0 ? r + Timestamp.nanosecondsPerSecond : r
        let (dq, dr) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = dr < 0 ? dq - 1 : dq
        let secondOfDay = dr < 0 ? dr + 86_400 : dr
        let (year, month, day) = Timestamp.civilFromDays(days)
        decimal(UInt64(clamping: year), minimumWidth: 4)
        byte(UInt8(ascii: "-"))
        twoDigits(month)
        byte(UInt8(ascii: "-"))
        twoDigits(day)
        byte(UInt8(ascii: "T"))
        twoDigits(secondOfDay / 3600)
        byte(UInt8(ascii: ":"))
        twoDigits((secondOfDay / 60) % 60)
        byte(UInt8(ascii: ":"))
        twoDigits(secondOfDay % 60)
        if nanos != 0 {
            byte(UInt8(ascii: "."))
            decimal(UInt64(clamping: nanos), minimumWidth: 9)
        }
        byte(UInt8(ascii: "Z"))
    }

    /// A 128-bit id as an unquoted UUID (8-4-4-4-12 lowercase hex).
    mutating func uuid(_ id: Digest128) {
        hexWord(id.high >> 32, digits: 8)
        byte(UInt8(ascii: "-"))
        hexWord((id.high >> 16) & 0xffff, digits: 4)
        byte(UInt8(ascii: "-"))
        hexWord(id.high & 0xffff, digits: 4)
        byte(UInt8(ascii: "-"))
        hexWord(id.low >> 48, digits: 4)
        byte(UInt8(ascii: "-"))
        hexWord(id.low & 0xffff_ffff_ffff, digits: 12)
    }

    @inline(__always)
    mutating func hexWord(_ value: UInt64, digits: Int) {
        var v = value
        var i = digits
        while i > 0 {
            i -= 1
            position[i] = Self.hexDigit(UInt8(truncatingIfNeeded: v & 0x0f))
            v >>= 4
        }
        position += digits
    }

    /// Lowercase hex of raw bytes, unquoted (2 bytes out per byte in).
    @inline(__always)
    mutating func hex(_ raw: UnsafeRawBufferPointer) {
        var out = position
        for b in raw {
            out[0] = Self.hexDigit(b >> 4)
            out[1] = Self.hexDigit(b & 0x0f)
            out += 2
        }
        position = out
    }

    /// Upper bounds of what the methods above write, for reserving room.
    enum Bound {
        /// Quoted string of `utf8Count` bytes: every byte may become `\u00xx`.
        @inline(__always)
        static func string(_ utf8Count: Int) -> Int { 2 + 6 * utf8Count }
        /// Sign, 21 integer digits, point, 18 fraction digits.
        static let money = 1 + 21 + 1 + 18
        /// `YYYYYYYYYYYYYYYYYYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` with a year of up to 20 digits.
        static let timestamp = 20 + 26
        static let uuid = 36
        static let integer = 20
    }
}
