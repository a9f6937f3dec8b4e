public import Core
public import Rating

/// What a run, a finalization and the gate need besides the store: the price
/// catalog, customers, numbering and the settle delay the gate waits.
public struct InvoicingSettings: Sendable {
    public var catalog: PriceCatalog
    public var customers: CustomerDirectory
    /// The number prefix; `{year}` is replaced by the finalization's UTC year.
    public var numberPrefix: String
    /// How long after the period end a source must have collected successfully.
    public var settleDelay: Duration
    /// Where finalizations and voids are recorded (`invoicing.audit_sink`).
    public var auditLog: (any InvoiceAuditLog)?
    /// The usage audit trail whose end a finalized invoice records.
    public var usageTrail: (any AuditTrail)?

    public init(
        catalog: PriceCatalog, customers: CustomerDirectory = .empty, numberPrefix: String = "INV-{year}-",
        settleDelay: Duration = .seconds(60), auditLog: (any InvoiceAuditLog)? = nil,
        usageTrail: (any AuditTrail)? = nil
    ) {
        self.catalog = catalog
        self.customers = customers
        self.numberPrefix = numberPrefix
        self.settleDelay = settleDelay
        self.auditLog = auditLog
        self.usageTrail = usageTrail
    }

    /// The prefix of numbers assigned at `time`.
    public func prefix(at time: Timestamp) -> String {
        let year = BillingPeriod(containing: time).year
        return numberPrefix.replacing("{year}", with: String(year))
    }
}

/// `invoice run`: recomputes the period's drafts from the ledger and writes
/// them under the period lock; corrections of the previous period's finalized
/// invoices become adjustment lines.
///
/// Exists so a run is one deterministic function of what the ledger holds:
/// running it twice, or two pods running it together, writes each invoice once.
public struct InvoiceRun: Sendable {
    public let store: any InvoiceStore
    public let settings: InvoicingSettings

    public init(store: any InvoiceStore, settings: InvoicingSettings) {
        self.store = store
        self.settings = settings
    }

    /// The period named by `text` (`2026-11`), refused when malformed or not yet started at `now`.
    public static func period(_ text: String, now: Timestamp) throws(InvoiceError) -> BillingPeriod {
        guard let period = BillingPeriod(text) else { throw .badPeriod(text) }
        guard period.start <= now else { throw .futurePeriod(text) }
        return period
    }

    /// The invoices `period` has now (not written).
    public func compute(period: BillingPeriod, subject: String? = nil) async throws -> [Invoice] {
        let usage = try await store.periodUsage(
            period: period, segmentStarts: SeriesPeriodTotal.segmentStarts(of: settings.catalog, in: period),
            subject: subject)
        let spans = try await store.activitySpans(period: period, subject: subject)
        let adjustments = try await self.adjustments(before: period, subject: subject)
        return try await InvoiceAssembler.assembleConcurrently(
            period: period, catalog: settings.catalog, usage: usage, spans: spans, customers: settings.customers,
            adjustments: adjustments, subject: subject)
    }

    /// Computes and writes the drafts of `period`.
    public func run(period: BillingPeriod, subject: String? = nil, wait: Bool = true) async throws -> RunResult {
        let drafts = try await compute(period: period, subject: subject)
        return try await store.saveDrafts(drafts, period: period, wait: wait)
    }

    /// The differences between the previous period's finalized invoices and a
    /// re-rating of that period now (late usage), one per invoice that changed.
    func adjustments(before period: BillingPeriod, subject: String?) async throws -> [InvoiceAdjustment] {
        let key = BillingPeriodKey(year: period.year, month: period.month).previous
        guard let previous = BillingPeriod(year: key.year, month: key.month) else { return [] }
        let finalized = try await store.invoices(
            InvoiceFilter(period: previous, subject: subject, status: .finalized))
        guard !finalized.isEmpty else { return [] }
        let usage = try await store.periodUsage(
            period: previous, segmentStarts: SeriesPeriodTotal.segmentStarts(of: settings.catalog, in: previous),
            subject: subject)
        let spans = try await store.activitySpans(period: previous, subject: subject)
        // Earlier corrections are not re-derived: the closed period is re-rated on its own.
        let recomputed = try await InvoiceAssembler.assembleConcurrently(
            period: previous, catalog: settings.catalog, usage: usage, spans: spans, customers: settings.customers,
            subject: subject)
        // Recomputed invoices carry the first id of their subject, period and
        // currency; a finalized replacement has its own, so they meet on that key.
        let byID = Dictionary(recomputed.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [InvoiceAdjustment] = []
        for invoice in finalized {
            guard let number = invoice.number else { continue }
            let key = InvoiceID.make(subject: invoice.subject, period: previous, currency: invoice.currency.code)
            let now = byID[key].map(Self.ownCharges) ?? (exact: .zero, rounded: .zero)
            let then = Self.ownCharges(invoice)
            let exact = now.exact - then.exact
            let rounded = now.rounded - then.rounded
            guard exact != .zero || rounded != .zero else { continue }
            out.append(
                InvoiceAdjustment(
                    subject: invoice.subject, refersTo: number, period: previous.description, amount: exact,
                    amountRounded: rounded))
        }
        return out
    }

    /// The exact and rounded sums of an invoice's own lines (adjustments for earlier invoices excluded).
    static func ownCharges(_ invoice: Invoice) -> (exact: Money, rounded: Money) {
        let own = invoice.lines.filter { $0.kind != .adjustment }
        return (own.reduce(.zero) { $0 + $1.amount }, own.reduce(.zero) { $0 + $1.amountRounded })
    }
}
