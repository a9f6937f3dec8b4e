public import Core

/// What a subject owes for one period, line by line: the result of `PeriodCalculator`
/// and the input of the `rate` command's renderers.
public struct PeriodStatement: Sendable, Hashable {
    public var period: BillingPeriod
    public var currency: Currency
    /// Sorted by subject, then metric (usage before fees), then dimension.
    public var lines: [StatementLine]
    /// Usage no price matched, per metric (rated zero, shown, never dropped).
    public var unpriced: [String: UnpricedUsage]
    /// Facts read whose minute lies outside the period.
    public var outsidePeriod: Int

    public init(
        period: BillingPeriod, currency: Currency, lines: [StatementLine], unpriced: [String: UnpricedUsage],
        outsidePeriod: Int
    ) {
        self.period = period
        self.currency = currency
        self.lines = lines
        self.unpriced = unpriced
        self.outsidePeriod = outsidePeriod
    }

    /// Per subject: the exact sum of its lines and the sum of its rounded lines (the invoice total).
    public var subjectTotals: [(subject: String, amount: Money, amountRounded: Money)] {
        var out: [(subject: String, amount: Money, amountRounded: Money)] = []
        for line in lines {
            if let last = out.last, last.subject == line.subject {
                out[out.count - 1].amount += line.amount
                out[out.count - 1].amountRounded += line.amountRounded
            } else {
                out.append((line.subject, line.amount, line.amountRounded))
            }
        }
        return out
    }
}

/// One invoice line: a subject's usage of one metric (or one recurring fee) in the period.
public struct StatementLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case usage
        /// A recurring fee; `quantity` is the active time in nanoseconds.
        case recurringFee = "recurring_fee"
    }

    public var subject: String
    /// The usage metric, or `fee.<name>` for a recurring fee.
    public var metric: String
    /// For a fee charged per dimension value (per VM): that value.
    public var dimension: Dimension?
    public var kind: Kind
    /// Usage: base units. Fee: active nanoseconds.
    public var quantity: UInt128
    /// One part per (price version, rule) that priced this usage, in version order.
    public var parts: [LinePart]
    /// Exact, full precision: the sum of the parts.
    public var amount: Money
    /// `amount` rounded once, to the currency's minor units, by the last version's mode.
    public var amountRounded: Money

    /// The price book versions used, in order.
    public var versions: [String] {
        var out: [String] = []
        for part in parts where out.last != part.version { out.append(part.version) }
        return out
    }
}

/// The usage of one line priced by one rule of one version.
public struct LinePart: Sendable, Hashable {
    public var version: String
    public var ruleLine: Int
    /// `per_unit`, `graduated`, `volume`, `package`, or `recurring`.
    public var model: String
    /// Base units per billed unit (fees: nanoseconds of the period).
    public var unit: UInt64
    public var unitName: String?
    /// Base units (fees: active nanoseconds).
    public var quantity: UInt128
    /// Weighted billed units (quantity × multipliers ÷ unit), to 18 digits.
    public var billedUnits: Money
    public var allowanceUsed: Money
    /// Tiers reached (package: one entry whose `units` counts packages).
    public var tiers: [TierCharge]
    /// What the minimum added (zero when the usage cost more).
    public var minimumTopUp: Money
    public var amount: Money
}

/// One tier's share of a period amount.
public struct TierCharge: Sendable, Hashable {
    /// 0-based position in the rule's tier table.
    public var index: Int
    /// Billed units priced in this tier (package: packages).
    public var units: Money
    public var unitPrice: Money
    /// Flat fee included in `amount`.
    public var flatFee: Money
    public var amount: Money
}

/// A quote for one metric and quantity: the `price` command.
public struct PriceQuote: Sendable, Hashable {
    public var metric: String
    /// Base units.
    public var quantity: UInt128
    public var dimensions: [Dimension]
    /// `nil` when no price matched (the amount is zero).
    public var part: LinePart?
    public var amount: Money
    public var amountRounded: Money
    public var currency: Currency
}
