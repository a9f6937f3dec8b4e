/// Flags a fact carries so finance and audit can see how its quantity came about.
public struct FactFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The counter went down (the exporter or proxy restarted): the increase is the new value.
    public static let reset = FactFlags(rawValue: 1 << 0)
    /// The interval since the previous observation was longer than expected.
    public static let gap = FactFlags(rawValue: 1 << 1)
    /// The first value of a series first seen after billing began, billed from zero.
    public static let initial = FactFlags(rawValue: 1 << 2)

    /// Flag names in a fixed order, as written to the audit file and the ledger.
    public var names: [String] {
        var out: [String] = []
        if contains(.reset) { out.append("reset") }
        if contains(.gap) { out.append("gap") }
        if contains(.initial) { out.append("initial") }
        return out
    }

    public init?(names: [String]) {
        var flags = FactFlags()
        for name in names {
            switch name {
            case "reset": flags.insert(.reset)
            case "gap": flags.insert(.gap)
            case "initial": flags.insert(.initial)
            default: return nil
            }
        }
        self = flags
    }
}

/// One exact, priced unit of usage: the quantity of one series attributed to one UTC minute.
///
/// Produced by metering (quantity, identity) and completed by rating (amount).
/// Sinks persist it; its `id` makes every write idempotent.
public struct UsageFact: Hashable, Sendable {
    public var id: FactID
    public var series: SeriesKey
    /// The observation interval the quantity covers: previous observation time (or
    /// the observation time itself for deltas) up to the observation that produced it.
    public var from: Timestamp
    public var to: Timestamp
    /// The UTC minute this quantity is attributed to (its start).
    public var minute: Timestamp
    /// Base units (bytes, nanoseconds, byte-seconds, tokens).
    public var quantity: UInt64
    public var flags: FactFlags
    /// Exact price of this fact at full precision; zero until rated.
    public var amount: Money
    /// ISO 4217 code of `amount`; empty until rated.
    public var currency: String
    /// The price book version that priced this fact; empty until rated.
    public var priceBook: String

    public init(
        id: FactID, series: SeriesKey, from: Timestamp, to: Timestamp, minute: Timestamp, quantity: UInt64,
        flags: FactFlags = [], amount: Money = .zero, currency: String = "", priceBook: String = ""
    ) {
        self.id = id
        self.series = series
        self.from = from
        self.to = to
        self.minute = minute
        self.quantity = quantity
        self.flags = flags
        self.amount = amount
        self.currency = currency
        self.priceBook = priceBook
    }

    /// The base unit of this fact's metric.
    public var unit: String { MetricUnit.of(metric: series.metric) }
}
