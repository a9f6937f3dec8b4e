public import Core
public import Rating

/// Where an invoice stands: `draft` → `finalized` → `void`.
///
/// Exists so every operation can say which transitions it allows: a draft is
/// recomputed by every run, a finalized invoice never changes, a void one keeps
/// its number and content.
public enum InvoiceStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case draft
    case finalized
    case void
}

/// One subject's bill for one period in one currency, as finance signs it.
///
/// Exists as the single value the run writes, the store keeps, and every
/// document (JSON, HTML, CSV) renders: totals are derived from the lines, so a
/// document can never show a total its lines do not add up to.
public struct Invoice: Sendable, Hashable {
    /// Deterministic from (subject, period, currency): a rerun finds the same draft.
    public var id: String
    /// Assigned at finalize (`INV-2026-000001`); nil for a draft.
    public var number: String?
    public var subject: String
    public var customer: Customer?
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    public var status: InvoiceStatus
    public var currency: Currency
    /// Usage lines, then fee lines, then discounts, then adjustments (the order of application).
    public var lines: [InvoiceLine]
    public var finalizedAt: Timestamp?
    public var voidedAt: Timestamp?
    public var voidReason: String?
    /// Set when finalized past a failing completeness gate (`--force --reason`).
    public var forcedReason: String?
    /// The gate's verdict when last checked (at finalize, or at the run for a draft).
    public var completeness: Completeness
    /// The audit position the usage was read up to, when an audit sink is configured.
    public var audit: AuditPosition?
    /// The invoice this one replaces (a voided invoice's number).
    public var replaces: String?

    public init(
        id: String, number: String? = nil, subject: String, customer: Customer? = nil, periodStart: Timestamp,
        periodEnd: Timestamp, status: InvoiceStatus = .draft, currency: Currency, lines: [InvoiceLine],
        finalizedAt: Timestamp? = nil, voidedAt: Timestamp? = nil, voidReason: String? = nil,
        forcedReason: String? = nil, completeness: Completeness = .unchecked, audit: AuditPosition? = nil,
        replaces: String? = nil
    ) {
        self.id = id
        self.number = number
        self.subject = subject
        self.customer = customer
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.status = status
        self.currency = currency
        self.lines = lines
        self.finalizedAt = finalizedAt
        self.voidedAt = voidedAt
        self.voidReason = voidReason
        self.forcedReason = forcedReason
        self.completeness = completeness
        self.audit = audit
        self.replaces = replaces
    }

    /// Sum of the rounded usage and fee lines: what discounts apply to.
    public var subtotal: Money {
        lines.filter { $0.kind == .usage || $0.kind == .fee }.reduce(.zero) { $0 + $1.amountRounded }
    }

    /// Sum of the rounded discount lines (zero or negative).
    public var discountTotal: Money {
        lines.filter { $0.kind == .discount }.reduce(.zero) { $0 + $1.amountRounded }
    }

    /// The amount due: the sum of every rounded line.
    public var total: Money { lines.reduce(.zero) { $0 + $1.amountRounded } }

    /// The sum of every exact line (what the total rounds).
    public var totalExact: Money { lines.reduce(.zero) { $0 + $1.amount } }

    /// The billing period `[periodStart, periodEnd)` as the `YYYY-MM` text of its start.
    public var periodLabel: String { periodStart.rfc3339(fractionalDigits: .none).prefix(7).description }
}

/// What kind of charge or reduction a line is.
public enum InvoiceLineKind: String, Sendable, Hashable, CaseIterable, Codable {
    case usage
    case fee
    case discount
    case credit
    case adjustment
}

/// One line of an invoice: an exact amount and that amount rounded once.
///
/// Exists so the invoice keeps both: `amountRounded` is what is summed into the
/// total, `amount` (18 digits) is what finance can reconcile against the ledger.
public struct InvoiceLine: Sendable, Hashable {
    public var kind: InvoiceLineKind
    /// The usage metric, `fee.<name>`, or a coupon's id for a discount.
    public var metric: String
    public var description: String
    /// Integer string: base units (usage), active seconds (fee), empty for money-only lines.
    public var quantity: String
    /// The base unit (`byte`), `second` for fees, empty for money-only lines.
    public var unit: String
    /// Billed units (usage), the fraction of the period (fee); nil for money-only lines.
    public var billedUnits: Money?
    public var tiers: [InvoiceTier]
    public var amount: Money
    public var amountRounded: Money
    /// For an adjustment: the number of the invoice it corrects.
    public var refersTo: String?

    public init(
        kind: InvoiceLineKind, metric: String, description: String, quantity: String = "", unit: String = "",
        billedUnits: Money? = nil, tiers: [InvoiceTier] = [], amount: Money, amountRounded: Money,
        refersTo: String? = nil
    ) {
        self.kind = kind
        self.metric = metric
        self.description = description
        self.quantity = quantity
        self.unit = unit
        self.billedUnits = billedUnits
        self.tiers = tiers
        self.amount = amount
        self.amountRounded = amountRounded
        self.refersTo = refersTo
    }
}

/// One tier's share of a usage line, as the document shows it.
public struct InvoiceTier: Sendable, Hashable {
    /// The price book version that priced this tier.
    public var version: String
    /// 0-based position in the rule's tier table.
    public var index: Int
    public var units: Money
    public var unitPrice: Money
    public var flatFee: Money
    public var amount: Money

    public init(version: String, index: Int, units: Money, unitPrice: Money, flatFee: Money, amount: Money) {
        self.version = version
        self.index = index
        self.units = units
        self.unitPrice = unitPrice
        self.flatFee = flatFee
        self.amount = amount
    }
}

/// Whether the period is closed for the subject, and if not, why.
///
/// Exists because an invoice is finalized only on complete usage: each problem
/// names the source (or series) and the time span that is not yet settled.
public struct Completeness: Sendable, Hashable {
    public var complete: Bool
    public var problems: [String]

    public init(complete: Bool, problems: [String]) {
        self.complete = complete
        self.problems = problems
    }

    /// Not checked yet (a draft before any gate check).
    public static let unchecked = Completeness(complete: false, problems: ["not checked"])
}
