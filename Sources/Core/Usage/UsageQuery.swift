/// The period a usage row sums over (UTC calendar boundaries).
public enum UsageGranularity: String, Sendable, CaseIterable, Hashable {
    case minute, hour, day, month
}

/// A usage question: totals per subject, metric and currency over `[from, to)`,
/// grouped by `granularity`. `subject`/`metric` nil means all.
public struct UsageQuery: Sendable, Hashable {
    public var subject: String?
    public var metric: String?
    /// Inclusive start; `to` is exclusive. Minutes starting in the range count.
    public var from: Timestamp
    public var to: Timestamp
    public var granularity: UsageGranularity

    public init(
        subject: String? = nil, metric: String? = nil, from: Timestamp, to: Timestamp,
        granularity: UsageGranularity
    ) {
        self.subject = subject
        self.metric = metric
        self.from = from
        self.to = to
        self.granularity = granularity
    }
}

/// One answer row: exact integers and money as the ledger holds them.
public struct UsageRow: Sendable, Hashable {
    public var subject: String
    public var metric: String
    /// The base unit of `quantity` (byte, nanosecond, token, ...).
    public var unit: String
    public var periodStart: Timestamp
    /// Sum of base units, as decimal digits (may exceed 64 bits).
    public var quantity: String
    /// Sum at full ledger precision.
    public var amount: Money
    /// ISO 4217 code; empty for unrated usage.
    public var currency: String

    public init(
        subject: String, metric: String, unit: String, periodStart: Timestamp, quantity: String, amount: Money,
        currency: String
    ) {
        self.subject = subject
        self.metric = metric
        self.unit = unit
        self.periodStart = periodStart
        self.quantity = quantity
        self.amount = amount
        self.currency = currency
    }
}
