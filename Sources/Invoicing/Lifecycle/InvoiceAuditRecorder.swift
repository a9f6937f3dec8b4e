public import Core
import Rating

/// Keeps the invoicing audit trail in step with the store: every
/// finalization and void appears there exactly once, with the invoice's
/// canonical content hash.
///
/// Exists because the store's transaction and the trail's append cannot be
/// one atomic step. The store registers each event in the transaction that
/// makes it; `catchUp` then, holding the trail's lock, appends every event
/// still without a position and records where it went. A crash between the
/// append and the record leaves lines after the last recorded one: they are
/// matched first, so nothing is appended twice.
public struct InvoiceAuditRecorder: Sendable {
    public let store: any InvoiceStore
    public let log: any InvoiceAuditLog

    public init(store: any InvoiceStore, log: any InvoiceAuditLog) {
        self.store = store
        self.log = log
    }

    /// Appends what is missing; the number of events recorded.
    @discardableResult
    public func catchUp() async throws -> Int {
        let store = self.store
        let log = self.log
        guard try await !store.unauditedEvents().isEmpty else { return 0 }
        return try await log.withLock {
            let pending = try await store.unauditedEvents()
            guard !pending.isEmpty else { return 0 }
            // Lines a holder appended but did not record (it crashed in between).
            let recorded = try await store.lastRecordedAuditSeq()
            let unrecorded = try await log.entries(after: recorded)
            var done = 0
            var missing: [(PendingAuditEvent, InvoiceAuditEntry)] = []
            for event in pending {
                if let found = unrecorded.first(where: {
                    $0.entry.invoiceID == event.invoiceID && $0.entry.event == event.event
                }) {
                    try await store.recordAudit(event, at: found.position)
                    done += 1
                    continue
                }
                guard let invoice = try await store.invoice(id: event.invoiceID) else {
                    throw InvoiceError.unknownInvoice(event.invoiceID)
                }
                missing.append((event, try Self.entry(invoice, event.event)))
            }
            let positions = try await log.append(missing.map(\.1))
            for ((event, _), position) in zip(missing, positions) {
                try await store.recordAudit(event, at: position)
                done += 1
            }
            return done
        }
    }

    /// The audit entry of `event` of `invoice`: for a finalization, the content
    /// as it was finalized (a later void changes status and reason only).
    public static func entry(_ invoice: Invoice, _ event: InvoiceAuditEntry.Event) throws(InvoiceError)
        -> InvoiceAuditEntry
    {
        guard let number = invoice.number else {
            throw .storage("invoice \(invoice.id) has a \(event) event but no number")
        }
        var content = invoice
        let at: Timestamp?
        let reason: String?
        switch event {
        case .finalized:
            content.status = .finalized
            content.voidedAt = nil
            content.voidReason = nil
            at = invoice.finalizedAt
            reason = invoice.forcedReason
        case .void:
            at = invoice.voidedAt
            reason = invoice.voidReason
        }
        return InvoiceAuditEntry(
            event: event, invoiceID: invoice.id, number: number, subject: invoice.subject,
            period: invoice.periodLabel, currency: invoice.currency.code, total: invoice.total,
            totalExact: invoice.totalExact, contentHash: InvoiceJSON.contentHash(content),
            usageAudit: invoice.audit, reason: reason, at: at ?? invoice.periodEnd)
    }
}
