public import Core

/// One version of the price list finance maintains: what each metric costs from
/// `effectiveFrom` on. Decoded from YAML by `PriceBookDecoder`; versions are
/// collected in a `PriceCatalog`; facts are priced by `Rater` and periods by
/// `PeriodCalculator`.
public struct PriceBook: Sendable {
    /// Written on every rated fact (`price_book`), so a charge names the list that priced it.
    public var version: String
    /// The first minute this version prices; facts before it keep the previous version's price.
    public var effectiveFrom: Timestamp
    public var currency: Currency
    /// How invoice lines are rounded to `currency.minorUnits` (presentation only).
    public var rounding: RoundingMode
    /// In document order; for a fact, the first rule whose metric, match and plan fit wins.
    public var prices: [PriceRule]
    /// Fees per period, prorated by active time.
    public var recurring: [RecurringFee]
    /// Line of the version in its file, for errors that involve several versions.
    public var line: Int

    public init(
        version: String, effectiveFrom: Timestamp, currency: Currency, rounding: RoundingMode = .halfEven,
        prices: [PriceRule], recurring: [RecurringFee] = [], line: Int = 0
    ) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.currency = currency
        self.rounding = rounding
        self.prices = prices
        self.recurring = recurring
        self.line = line
    }
}

/// How one metric (optionally restricted by dimensions or plan) is priced.
public struct PriceRule: Sendable, Hashable {
    public var metric: String
    /// Dimensions a series must carry with exactly these values (empty: every series).
    public var match: [Dimension]
    /// Only subjects on this plan (`nil`: every subject).
    public var plan: String?
    /// Base units per billed unit (10⁹ bytes per GB, 2³⁰ per GiB, 3.6·10¹² ns per core-hour). > 0.
    public var unit: UInt64
    /// What a billed unit is called in reports (`GB`, `GiB`, `core-hour`); `nil`: "units".
    public var unitName: String?
    public var model: PriceModel
    /// Billed units free per subject and period, taken before any tier.
    public var allowance: Money
    /// The least a subject with usage of this rule pays per period.
    public var minimum: Money?
    /// Dimension key → value → factor: a series' quantity counts `factor` times
    /// (1.5: one GB through that line counts as 1.5 GB, toward tiers and allowance too).
    /// Several keys multiply; a value not listed counts once.
    public var multipliers: [String: [String: Money]]
    /// Line of the rule in its file, for reports.
    public var line: Int

    public init(
        metric: String, match: [Dimension] = [], plan: String? = nil, unit: UInt64, unitName: String? = nil,
        model: PriceModel,
        allowance: Money = .zero, minimum: Money? = nil, multipliers: [String: [String: Money]] = [:],
        line: Int = 0
    ) {
        self.metric = metric
        self.match = match.sorted { $0.key < $1.key }
        self.plan = plan
        self.unit = unit
        self.unitName = unitName
        self.model = model
        self.allowance = allowance
        self.minimum = minimum
        self.multipliers = multipliers
        self.line = line
    }

    /// Whether `series` carries every dimension this rule matches on.
    public func matches(_ series: SeriesKey) -> Bool {
        match.allSatisfy { series.dimension($0.key) == $0.value }
    }
}

/// One step of a tier table. Quantities are billed units (decimal allowed).
public struct Tier: Sendable, Hashable {
    /// The tier covers billed units up to this total (inclusive); `nil` for the last tier.
    public var upTo: Money?
    public var unitPrice: Money
    /// Charged once when the period reaches this tier (graduated) or lands in it (volume).
    public var flatFee: Money

    public init(upTo: Money?, unitPrice: Money, flatFee: Money = .zero) {
        self.upTo = upTo
        self.unitPrice = unitPrice
        self.flatFee = flatFee
    }
}

/// The price model of a rule. Prices are per billed unit (`PriceRule.unit` base units).
public enum PriceModel: Sendable, Hashable {
    /// Every billed unit at one price.
    case perUnit(unitPrice: Money)
    /// Each billed unit at the price of the tier it falls in.
    case graduated([Tier])
    /// Every billed unit at the price of the tier the period total lands in.
    case volume([Tier])
    /// `price` per started block of `size` billed units (a partial block is a whole block).
    case package(size: UInt64, price: Money)

    /// The model's name as written in the price book.
    public var name: String {
        switch self {
        case .perUnit: return "per_unit"
        case .graduated: return "graduated"
        case .volume: return "volume"
        case .package: return "package"
        }
    }

    /// The names a price book may use.
    public static let names = ["per_unit", "graduated", "volume", "package"]

    /// The marginal price per billed unit written on each fact: the unit price, the
    /// base (first) tier's price, or a package's price per unit. The period
    /// calculation gives the true total.
    public var factUnitPrice: Money {
        switch self {
        case .perUnit(let price): return price
        case .graduated(let tiers), .volume(let tiers): return tiers.first?.unitPrice ?? .zero
        case .package(let size, let price):
            return (try? price.multiplied(by: 1, dividedBy: UInt128(max(size, 1)))) ?? .zero
        }
    }
}

/// A fee charged per period (a plan fee, a per-VM fee), prorated by the exact time
/// the subject (or each value of a dimension, such as each VM) was active.
public struct RecurringFee: Sendable, Hashable {
    /// Shown as the line's metric: `fee.<name>`.
    public var name: String
    /// Only subjects on this plan (`nil`: every active subject).
    public var plan: String?
    /// The fee for a whole period of activity.
    public var amount: Money
    /// `nil`: once per subject; a dimension key (`vm_id`): once per value of it.
    public var per: String?
    public var line: Int

    public init(name: String, plan: String? = nil, amount: Money, per: String? = nil, line: Int = 0) {
        self.name = name
        self.plan = plan
        self.amount = amount
        self.per = per
        self.line = line
    }
}
