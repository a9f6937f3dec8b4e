/// A position in a hash-chained audit trail: the line with this `seq` and
/// `hash`, in `file`. An invoice keeps the position of the usage audit trail
/// its usage was read up to, and where its issuance and void were recorded.
public struct AuditPosition: Sendable, Hashable {
    public var file: String
    public var seq: Int64
    public var hash: String

    public init(file: String, seq: Int64, hash: String) {
        self.file = file
        self.seq = seq
        self.hash = hash
    }
}

/// An audit trail a sink writes (the `jsonl_audit` sink): its directory, and
/// where its chain ends now. Invoicing asks a configured sink for this
/// (`as? any AuditTrail`) to record how far the usage trail went when an
/// invoice was finalized, without naming the sink type.
public protocol AuditTrail: Sendable {
    /// The sink's id (`sinks.<id>`).
    var auditTrailID: String { get }
    /// The directory of the trail's files.
    var auditTrailPath: String { get }
    /// The last complete line of the trail (`nil`: nothing written yet). Reads
    /// only the end of the newest file; safe while a writer appends.
    func lastPosition() throws -> AuditPosition?
}

/// What an invoice audit line records: a finalization or a void.
public struct InvoiceAuditEntry: Sendable, Hashable {
    public enum Event: String, Sendable, Hashable, CaseIterable {
        case finalized
        case void
    }

    public var event: Event
    public var invoiceID: String
    public var number: String
    public var subject: String
    /// `YYYY-MM`.
    public var period: String
    public var currency: String
    public var total: Money
    public var totalExact: Money
    /// SHA-256 of the invoice's canonical content after the event.
    public var contentHash: String
    /// How far the usage audit trail went when the invoice was finalized.
    public var usageAudit: AuditPosition?
    /// Why a finalization overrode the completeness gate, or why it was voided.
    public var reason: String?
    public var at: Timestamp

    public init(
        event: Event, invoiceID: String, number: String, subject: String, period: String, currency: String,
        total: Money, totalExact: Money, contentHash: String, usageAudit: AuditPosition?, reason: String?,
        at: Timestamp
    ) {
        self.event = event
        self.invoiceID = invoiceID
        self.number = number
        self.subject = subject
        self.period = period
        self.currency = currency
        self.total = total
        self.totalExact = totalExact
        self.contentHash = contentHash
        self.usageAudit = usageAudit
        self.reason = reason
        self.at = at
    }
}

/// An audit trail that invoice issuance and voids are appended to
/// (`invoicing.audit_sink`): the same hash chain the usage lines use, so the
/// audit team checks both with `audit verify`. No pipeline writes this trail.
///
/// Appends happen inside `withLock`, which excludes other callers in this
/// process and other processes (the CLI, daemon replicas) alike, so whoever
/// holds it can check what is already in the trail and append the rest
/// without a race.
public protocol InvoiceAuditLog: AuditTrail {
    /// Runs `body` holding the trail's lock.
    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
    /// Appends `entries` in order as chained `invoice` lines (fsynced) and
    /// returns the position of each. Call it inside `withLock`.
    func append(_ entries: [InvoiceAuditEntry]) async throws -> [AuditPosition]
    /// The invoice entries of the trail with their positions, in chain order:
    /// all of them (the chain verified as it is read) when `seq` is nil, else
    /// only those after line `seq`, read back from the trail's end.
    func entries(after seq: Int64?) async throws -> [(entry: InvoiceAuditEntry, position: AuditPosition)]
}
