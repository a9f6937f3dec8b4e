/// Prices usage without writing it: what a quote route (the AI platform's
/// `POST /api/v1/billing/calculate`) answers. The daemon lends push sources
/// the configured price book through this, so an adapter quotes exactly as
/// invoices price without linking the rating module.
public protocol UsagePricing: Sendable {
    /// What `request.quantity` more base units add to the subject's period
    /// amount, given `request.periodQuantity` already used. Throws
    /// `UsageQuoteFailure` when the amount is out of range.
    func quote(_ request: UsageQuoteRequest) throws(UsageQuoteFailure) -> UsageQuote
}

/// The usage a quote is for.
public struct UsageQuoteRequest: Sendable, Hashable {
    public var subject: String
    public var metric: String
    /// The series' dimensions (they select dimension-matched prices and plans).
    public var dimensions: [Dimension]
    /// The quoted usage, in base units.
    public var quantity: UInt128
    /// The subject's usage of `metric` so far this period, in base units
    /// (tiers and allowances count from it).
    public var periodQuantity: UInt128
    /// The instant whose price-book version applies.
    public var at: Timestamp

    public init(
        subject: String, metric: String, dimensions: [Dimension], quantity: UInt128, periodQuantity: UInt128,
        at: Timestamp
    ) {
        self.subject = subject
        self.metric = metric
        self.dimensions = dimensions
        self.quantity = quantity
        self.periodQuantity = periodQuantity
        self.at = at
    }
}

/// A quote: the amount the usage adds to the period, exact and rounded.
///
/// `amountRounded` is the rounded period amount with the usage minus the
/// rounded amount without it, so the rounded quotes of a period's requests
/// add up to the period's rounded amount, cent for cent.
public struct UsageQuote: Sendable, Hashable {
    /// False when no price of the book matches the series (the amounts are zero).
    public var priced: Bool
    /// ISO 4217 code (or the book's own, such as `CREDIT`).
    public var currency: String
    /// Exact, at the ledger's 18 digits.
    public var amount: Money
    /// In the currency's minor units, by the book's rounding mode.
    public var amountRounded: Money
    /// The currency's minor units (2 for USD).
    public var minorUnits: Int
    /// Billed units of the plan's allowance the usage used (zero: none, or no allowance).
    public var allowanceUsed: Money
    /// The price-book version that priced it.
    public var version: String?

    public init(
        priced: Bool, currency: String, amount: Money, amountRounded: Money, minorUnits: Int, allowanceUsed: Money,
        version: String?
    ) {
        self.priced = priced
        self.currency = currency
        self.amount = amount
        self.amountRounded = amountRounded
        self.minorUnits = minorUnits
        self.allowanceUsed = allowanceUsed
        self.version = version
    }
}

/// Why a quote has no amount: the period amount does not fit the ledger's range.
public struct UsageQuoteFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
