public import Core
public import Logging
public import Rating

/// A sink that can keep invoices beside its ledger: the host asks a configured
/// sink for this capability (`as? any InvoiceStoreProvider`) and never names
/// the concrete sink.
public protocol InvoiceStoreProvider: Sendable {
    /// The sink's id (`sinks.<id>`).
    var invoiceStoreID: String { get }
    /// The store over this sink's database. Throws `PluginError` when it cannot be opened.
    func invoiceStore() throws -> any InvoiceStore
}

/// A sink type that opens an invoice store from a bare database URL
/// (`invoice … --database-url`): the CLI finds it in the registry by this
/// capability and never names the type.
public protocol InvoiceStoreFactory: SinkFactory {
    /// The store at `databaseURL` (the default schema) and how to close its connections.
    func invoiceStore(databaseURL: String, logger: Logger) throws -> (
        store: any InvoiceStore, close: @Sendable () async -> Void
    )
}

/// Which invoices `InvoiceStore.invoices` returns.
public struct InvoiceFilter: Sendable, Hashable {
    public var period: BillingPeriod?
    public var subject: String?
    public var status: InvoiceStatus?
    /// At most this many, ordered by period, subject, currency (nil: all).
    public var limit: Int?
    /// Only invoices whose id sorts after this one in that order (keyset paging).
    public var after: String?

    public init(
        period: BillingPeriod? = nil, subject: String? = nil, status: InvoiceStatus? = nil, limit: Int? = nil,
        after: String? = nil
    ) {
        self.period = period
        self.subject = subject
        self.status = status
        self.limit = limit
        self.after = after
    }
}

/// What one draft write did.
public enum DraftOutcome: String, Sendable, Hashable {
    case created
    case updated
    case unchanged
    /// The invoice is finalized or void: the draft was not written.
    case closed
}

/// What an invoice run wrote: each id under its outcome.
public struct RunResult: Sendable, Hashable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    /// Finalized or void invoices the run left alone.
    public var closed: [String] = []

    public init() {}

    public mutating func record(_ id: String, _ outcome: DraftOutcome) {
        switch outcome {
        case .created: created.append(id)
        case .updated: updated.append(id)
        case .unchanged: unchanged.append(id)
        case .closed: closed.append(id)
        }
    }
}

/// What an activity import wrote.
public struct ActivityImportResult: Sendable, Hashable {
    public var inserted: Int
    public var unchanged: Int

    public init(inserted: Int, unchanged: Int) {
        self.inserted = inserted
        self.unchanged = unchanged
    }
}

/// One source that fed a subject in a period, as the completeness gate sees it.
public struct SourceProgress: Sendable, Hashable {
    public var pipeline: String
    public var source: String
    /// When the source last collected successfully (nil: never).
    public var lastSucceeded: Timestamp?
    public var consecutiveFailures: Int
    public var lastError: String?

    public init(
        pipeline: String, source: String, lastSucceeded: Timestamp?, consecutiveFailures: Int, lastError: String?
    ) {
        self.pipeline = pipeline
        self.source = source
        self.lastSucceeded = lastSucceeded
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
    }
}

/// A series of the subject with a gap-flagged fact in the period.
public struct SeriesGap: Sendable, Hashable {
    public var source: String
    public var metric: String
    public var dimensions: String
    public var from: Timestamp
    public var to: Timestamp

    public init(source: String, metric: String, dimensions: String, from: Timestamp, to: Timestamp) {
        self.source = source
        self.metric = metric
        self.dimensions = dimensions
        self.from = from
        self.to = to
    }
}

/// Where invoices, their numbers and activity spans are kept, and how the
/// ledger's period usage is read.
///
/// Exists so invoicing (the run, the CLI, later the daemon's routes) is written
/// once over a contract, and the postgres sink supplies the transactions that
/// make it safe: a period lock per run, a counter row per number prefix,
/// finalized invoices that no write can change.
public protocol InvoiceStore: Sendable {
    /// Per series and version segment (`segmentStarts`, ascending), the summed
    /// minute totals of `period` (only `subject`'s when given).
    func periodUsage(period: BillingPeriod, segmentStarts: [Timestamp], subject: String?) async throws
        -> [SeriesPeriodTotal]

    /// The activity spans that overlap `period`.
    func activitySpans(period: BillingPeriod, subject: String?) async throws -> [ActivitySpan]

    /// Adds spans (idempotent: a span already kept is not added twice).
    func importActivity(_ spans: [ActivitySpan]) async throws -> ActivityImportResult
    /// Closes every open span of `dimension` that started at or before `stop`; how many.
    func closeActivity(dimension: Dimension, at stop: Timestamp) async throws -> Int

    /// The sources that wrote usage of `subject` in `period`, with their state.
    func sourceProgress(period: BillingPeriod, subject: String) async throws -> [SourceProgress]

    /// Series of `subject` with gap-flagged facts in `period`.
    func seriesGaps(period: BillingPeriod, subject: String) async throws -> [SeriesGap]

    /// Writes the drafts of `period` under the period's run lock (waits for a
    /// run holding it; `wait: false` throws `InvoiceError.locked` instead).
    /// A finalized or void invoice is left as it is; a draft whose invoice was
    /// voided and replaced is written to the replacement.
    func saveDrafts(_ drafts: [Invoice], period: BillingPeriod, wait: Bool) async throws -> RunResult

    func invoice(id: String) async throws -> Invoice?

    func invoices(_ filter: InvoiceFilter) async throws -> [Invoice]

    /// Finalizes a draft: assigns the next number of `prefix` from its counter
    /// row in the same transaction, records `completeness`, `forcedReason`,
    /// `at` and how far the usage audit trail went (`usageAudit`). Throws `InvoiceError` for an unknown id or a non-draft.
    func finalize(
        id: String, prefix: String, at: Timestamp, completeness: Completeness, forcedReason: String?,
        usageAudit: AuditPosition?
    ) async throws -> Invoice

    /// Voids a finalized invoice, keeping its number and lines. With a
    /// `replacement` (a draft whose id is `InvoiceID.replacement(of: id)`), the
    /// same transaction writes it as the subject's current invoice of the
    /// period, under the period's run lock; later runs recompute it.
    func void(id: String, reason: String, at: Timestamp, replacement: Invoice?) async throws -> Invoice

    /// Finalizations and voids not yet recorded in the invoicing audit trail
    /// (each is registered in the transaction that makes it), oldest first.
    func unauditedEvents() async throws -> [PendingAuditEvent]

    /// The highest trail position recorded for any event (nil: none yet).
    func lastRecordedAuditSeq() async throws -> Int64?

    /// Records where the event's audit line is.
    func recordAudit(_ event: PendingAuditEvent, at position: AuditPosition) async throws
}

/// A finalization or void whose audit line is not recorded yet.
public struct PendingAuditEvent: Sendable, Hashable {
    public var invoiceID: String
    public var event: InvoiceAuditEntry.Event

    public init(invoiceID: String, event: InvoiceAuditEntry.Event) {
        self.invoiceID = invoiceID
        self.event = event
    }
}
