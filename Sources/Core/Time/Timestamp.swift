/// An instant in UTC, as integer nanoseconds since the Unix epoch.
///
/// Exists because billing needs exact, comparable, hashable times that keep the
/// exporter's nanoseconds (`next_cursor` carries them) without `Date`'s binary
/// floating point. Int64 nanoseconds cover the years 1678 to 2262.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public static let nanosecondsPerSecond: Int64 = 1_000_000_000
    public static let nanosecondsPerMinute: Int64 = 60_000_000_000

    @inlinable
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    @inlinable
    public init(secondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = secondsSinceEpoch * Self.nanosecondsPerSecond
    }

    /// Minute index since the epoch (floor division, so instants before 1970 work too).
    @inlinable
    public var minuteIndex: Int64 {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: Self.nanosecondsPerMinute)
        return r < 0 ? q - 1 : q
    }

    /// The start of the UTC minute this instant falls in.
    @inlinable
    public var minuteStart: Timestamp {
        Timestamp(nanosecondsSinceEpoch: minuteIndex * Self.nanosecondsPerMinute)
    }

    @inlinable
    public static func minuteStart(index: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: index * nanosecondsPerMinute)
    }

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    @inlinable
    public func adding(nanoseconds: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: nanosecondsSinceEpoch + nanoseconds)
    }

    @inlinable
    public func adding(_ duration: Duration) -> Timestamp {
        adding(nanoseconds: duration.totalNanoseconds)
    }

    public var description: String { rfc3339(fractionalDigits: .automatic) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an RFC 3339 timestamp: \(text)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339(fractionalDigits: .automatic))
    }
}

extension Duration {
    /// Whole nanoseconds of this duration (attoseconds truncated).
    @inlinable
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
