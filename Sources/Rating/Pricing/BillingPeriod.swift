public import Core

/// A calendar month in UTC, the period tiers, allowances, minimums and recurring
/// fees are computed over (`--period 2026-11`).
public struct BillingPeriod: Hashable, Sendable, CustomStringConvertible {
    public let year: Int64
    public let month: Int64
    /// First instant of the period.
    public let start: Timestamp
    /// First instant after the period.
    public let end: Timestamp

    /// The month `year`-`month` (1...12), years 1...9999.
    public init?(year: Int64, month: Int64) {
        guard (1...12).contains(month), (1...9999).contains(year) else { return nil }
        self.init(validYear: year, month: month)
    }

    private init(validYear year: Int64, month: Int64) {
        self.year = year
        self.month = month
        let startDays = Timestamp.daysFromCivil(year: year, month: month, day: 1)
        let endDays =
            month == 12
            ? Timestamp.daysFromCivil(year: year + 1, month: 1, day: 1)
            : Timestamp.daysFromCivil(year: year, month: month + 1, day: 1)
        start = Timestamp(secondsSinceEpoch: startDays * 86_400)
        end = Timestamp(secondsSinceEpoch: endDays * 86_400)
    }

    /// Parses `YYYY-MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            let year = Int64(parts[0]), let month = Int64(parts[1])
        else { return nil }
        self.init(year: year, month: month)
    }

    /// The month an instant falls in.
    public init(containing time: Timestamp) {
        let minute = time.minuteIndex
        let days = minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440)
        let civil = Timestamp.civilFromDays(days)
        self.init(validYear: civil.year, month: civil.month)
    }

    /// Length of the period in nanoseconds (recurring fees are prorated by it).
    public var nanoseconds: Int64 { end.nanosecondsSinceEpoch - start.nanosecondsSinceEpoch }

    public func contains(_ time: Timestamp) -> Bool { time >= start && time < end }

    public var description: String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : "\(month)"
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + m
    }
}
