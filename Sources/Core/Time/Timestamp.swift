/// An instant in UTC, as integer nanoseconds since the Unix epoch.
///
/// Exists because billing needs exact, comparable, hashable times that keep the
/// exporter's nanoseconds (`next_cursor` carries them) without `Date`'s binary
/// floating point. Int64 nanoseconds can hold 1677-09-21T00:12:43.145224192Z
/// through 2262-04-11T23:47:16.854775807Z; every input the service takes is
/// held to the narrower `acceptedRange` (years 1970…2261), so month ends,
/// minute splits and window arithmetic on an accepted instant always fit.
/// The arithmetic helpers below saturate at the Int64 bounds instead of trapping.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public static let nanosecondsPerSecond: Int64 = 1_000_000_000
    public static let nanosecondsPerMinute: Int64 = 60_000_000_000

    /// The calendar years (UTC) an observation, a fixture line, a pushed or pulled
    /// snapshot or a configured start may fall in.
    public static let acceptedYears: ClosedRange<Int64> = 1970...2261

    /// `acceptedYears` as instants: 1970-01-01T00:00:00Z up to, not including,
    /// 2262-01-01T00:00:00Z. The ~100 days left before Int64 nanoseconds end are
    /// the margin for a month's end, a minute's end and a pull window's step.
    public static let acceptedRange: Range<Timestamp> =
        Timestamp(nanosecondsSinceEpoch: 0)..<Timestamp(nanosecondsSinceEpoch: 9_214_646_400 * nanosecondsPerSecond)

    @inlinable
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Whole seconds since the epoch; saturates at the Int64 nanosecond bounds
    /// (beyond years 1677…2262) instead of trapping.
    @inlinable
    public init(secondsSinceEpoch: Int64) {
        let (product, overflow) = secondsSinceEpoch.multipliedReportingOverflow(by: Self.nanosecondsPerSecond)
        self.nanosecondsSinceEpoch = overflow ? (secondsSinceEpoch < 0 ? .min : .max) : product
    }

    /// Whole seconds since the epoch, or `nil` when Int64 nanoseconds cannot hold them.
    @inlinable
    public init?(exactlySecondsSinceEpoch seconds: Int64) {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: Self.nanosecondsPerSecond)
        guard !overflow else { return nil }
        self.nanosecondsSinceEpoch = product
    }

    /// Whether this instant is in `acceptedRange`.
    @inlinable
    public var isAccepted: Bool { Self.acceptedRange.contains(self) }

    /// Minute index since the epoch (floor division, so instants before 1970 work too).
    @inlinable
    public var minuteIndex: Int64 {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: Self.nanosecondsPerMinute)
        return r < 0 ? q - 1 : q
    }

    /// The start of the UTC minute this instant falls in (the earliest instant for
    /// the partial minute before 1677-09-21T00:13:00Z).
    @inlinable
    public var minuteStart: Timestamp {
        Self.minuteStart(index: minuteIndex)
    }

    /// The start of minute `index`; saturates at the Int64 nanosecond bounds.
    @inlinable
    public static func minuteStart(index: Int64) -> Timestamp {
        let (product, overflow) = index.multipliedReportingOverflow(by: nanosecondsPerMinute)
        return Timestamp(nanosecondsSinceEpoch: overflow ? (index < 0 ? .min : .max) : product)
    }

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// This instant moved by `nanoseconds`, saturating at the Int64 bounds: window
    /// and cooldown arithmetic on a hostile cursor clamps instead of trapping.
    @inlinable
    public func adding(nanoseconds: Int64) -> Timestamp {
        let (sum, overflow) = nanosecondsSinceEpoch.addingReportingOverflow(nanoseconds)
        return Timestamp(nanosecondsSinceEpoch: overflow ? (nanoseconds < 0 ? .min : .max) : sum)
    }

    /// This instant moved by `nanoseconds`, or `nil` when Int64 nanoseconds cannot hold the result.
    @inlinable
    public func addingExactly(nanoseconds: Int64) -> Timestamp? {
        let (sum, overflow) = nanosecondsSinceEpoch.addingReportingOverflow(nanoseconds)
        return overflow ? nil : Timestamp(nanosecondsSinceEpoch: sum)
    }

    @inlinable
    public func adding(_ duration: Duration) -> Timestamp {
        adding(nanoseconds: duration.totalNanoseconds)
    }

    public var description: String { rfc3339(fractionalDigits: .automatic) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Timestamp.parse(rfc3339: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error): \(text)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339(fractionalDigits: .automatic))
    }
}

extension Duration {
    /// Whole nanoseconds of this duration (attoseconds truncated), saturating at
    /// the Int64 bounds (a duration longer than ~292 years).
    @inlinable
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflow2 else { return seconds < 0 ? .min : .max }
        return sum
    }
}
