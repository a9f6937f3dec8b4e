/// RFC 3339 parsing and formatting over UTF-8 bytes, without Foundation's
/// `DateFormatter` (slow, locale-bound, and microsecond-lossy through `Date`).
extension Timestamp {
    /// How many fractional-second digits to print.
    public enum FractionalDigits: Sendable {
        /// None when the instant is a whole second, otherwise all nine.
        case automatic
        /// Always nine digits (`2026-11-01T00:00:00.000000000Z`), as the exporter's cursor.
        case nanoseconds
        /// Never any; sub-second precision is cut.
        case none
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`/`z` and a space separator accepted.
    /// `nil` when malformed or beyond Int64 nanoseconds; `parse` says which.
    public init?(rfc3339 text: String) {
        guard let parsed = try? Timestamp.parse(rfc3339: text) else { return nil }
        self = parsed
    }

    /// Parses RFC 3339 from raw UTF-8 bytes; `nil` when malformed or beyond Int64 nanoseconds.
    public init?(rfc3339UTF8 bytes: UnsafeRawBufferPointer) {
        guard let parsed = try? Timestamp.parse(rfc3339UTF8: bytes) else { return nil }
        self = parsed
    }

    /// Parses RFC 3339 text, saying what is wrong; with `acceptedOnly`, an instant
    /// outside `acceptedRange` (years 1970…2261) is an error too.
    public static func parse(rfc3339 text: String, acceptedOnly: Bool = false) throws(TimestampParseError)
        -> Timestamp
    {
        var text = text
        let result: Result<Timestamp, TimestampParseError> = text.withUTF8 { buffer in
            do throws(TimestampParseError) {
                return .success(try parse(rfc3339UTF8: UnsafeRawBufferPointer(buffer), acceptedOnly: acceptedOnly))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses RFC 3339 from raw UTF-8 bytes (the hot path of the wire decoders).
    public static func parse(rfc3339UTF8 bytes: UnsafeRawBufferPointer, acceptedOnly: Bool = false)
        throws(TimestampParseError) -> Timestamp
    {
        let count = bytes.count
        guard count >= 20 else { throw .malformed }
        @inline(__always) func digit(_ i: Int) -> Int64? {
            let c = bytes[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            return Int64(c &- 0x30)
        }
        @inline(__always) func number(_ start: Int, _ length: Int) -> Int64? {
            var value: Int64 = 0
            for i in start..<(start + length) {
                guard let d = digit(i) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = number(8, 2),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { throw .malformed }
        guard (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { throw .malformed }
        var index = 19
        var nanos: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < count, let d = digit(index) {
                if digits < 9 { nanos = nanos * 10 + d }
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw .malformed }
            if digits < 9 {
                for _ in digits..<9 { nanos *= 10 }
            }
        }
        guard index < count else { throw .malformed }
        var offsetSeconds: Int64 = 0
        let zone = bytes[index]
        if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
            index += 1
        } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
            guard index + 6 <= count, let oh = number(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                let om = number(index + 4, 2), oh <= 23, om <= 59
            else { throw .malformed }
            offsetSeconds = (oh * 3600 + om * 60) * (zone == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        } else {
            throw .malformed
        }
        guard index == count else { throw .malformed }
        // Four digits keep every intermediate below far from Int64's limits.
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        // A leap second (:60) is folded onto the next second, as POSIX time does.
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let (product, overflow) = seconds.multipliedReportingOverflow(by: Self.nanosecondsPerSecond)
        let (total, overflow2) = product.addingReportingOverflow(nanos)
        guard !overflow, !overflow2 else {
            // The UTC year, as the instant's own year is what the ranges are about.
            let (dq, dr) = seconds.quotientAndRemainder(dividingBy: 86_400)
            throw .unrepresentable(year: civilFromDays(dr < 0 ? dq - 1 : dq).year)
        }
        let parsed = Timestamp(nanosecondsSinceEpoch: total)
        if acceptedOnly, !parsed.isAccepted {
            let (dq, dr) = seconds.quotientAndRemainder(dividingBy: 86_400)
            throw .notAccepted(year: civilFromDays(dr < 0 ? dq - 1 : dq).year)
        }
        return parsed
    }

    /// Formats as RFC 3339 in UTC with a `Z` suffix.
    public func rfc3339(fractionalDigits: FractionalDigits = .automatic) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        appendRFC3339(fractionalDigits: fractionalDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `rfc3339(fractionalDigits:)`'s bytes to `out` without allocating:
    /// for encoders that write many timestamps (COPY rows, JSON lines).
    public func appendRFC3339(fractionalDigits: FractionalDigits = .automatic, to out: inout [UInt8]) {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: Self.nanosecondsPerSecond)
        let seconds = r < 0 ? q - 1 : q
        let nanos = r < 0 ? r + Self.nanosecondsPerSecond : r
        let (dq, dr) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = dr < 0 ? dq - 1 : dq
        let secondOfDay = dr < 0 ? dr + 86_400 : dr
        let (year, month, day) = Self.civilFromDays(days)
        Self.appendDigits(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendDigits(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        Self.appendDigits(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDigits((secondOfDay / 60) % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDigits(secondOfDay % 60, width: 2, to: &out)
        switch fractionalDigits {
        case .nanoseconds:
            out.append(UInt8(ascii: "."))
            Self.appendDigits(nanos, width: 9, to: &out)
        case .automatic where nanos != 0:
            out.append(UInt8(ascii: "."))
            Self.appendDigits(nanos, width: 9, to: &out)
        case .automatic, .none:
            break
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// `value` (non-negative) as exactly `width` decimal digits, zero-padded.
    static func appendDigits(_ value: Int64, width: Int, to out: inout [UInt8]) {
        let start = out.count
        for _ in 0..<width { out.append(UInt8(ascii: "0")) }
        var v = value
        var i = start + width - 1
        while i >= start {
            out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            i -= 1
        }
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Why a text is not a timestamp the service takes: malformed, beyond what Int64
/// nanoseconds hold, or outside the accepted years.
///
/// Exists so an error says what is wrong with a timestamp ("year 2262 is outside
/// the accepted years 1970…2261") instead of calling a well-formed one "not RFC 3339".
public enum TimestampParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or a date that does not exist.
    case malformed
    /// Well-formed, but beyond 1677-09-21…2262-04-11, what Int64 nanoseconds hold; `year` in UTC.
    case unrepresentable(year: Int64)
    /// Well-formed and representable, but outside `Timestamp.acceptedYears`; `year` in UTC.
    case notAccepted(year: Int64)

    public var description: String {
        let accepted = "\(Timestamp.acceptedYears.lowerBound)…\(Timestamp.acceptedYears.upperBound)"
        switch self {
        case .malformed:
            return "not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction] then Z or ±HH:MM)"
        case .unrepresentable(let year):
            return "year \(year) is outside the accepted years \(accepted) (and beyond 1677-09-21…2262-04-11, "
                + "what nanosecond timestamps hold)"
        case .notAccepted(let year):
            return "year \(year) is outside the accepted years \(accepted)"
        }
    }
}
