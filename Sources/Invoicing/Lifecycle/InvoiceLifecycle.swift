public import Core
public import Rating

/// The completeness gate: whether a subject's period is closed.
///
/// Exists because an invoice finance signs must not miss usage still on its
/// way: every source that fed the subject must have collected successfully
/// after the period end plus the settle delay, must not be failing, and no
/// series may hold a gap-flagged fact in the period. Each problem names the
/// source or series and the time span.
public enum CompletenessGate {
    public static func check(
        invoice: Invoice, store: any InvoiceStore, settleDelay: Duration, now: Timestamp
    ) async throws -> Completeness {
        let period = BillingPeriod(containing: invoice.periodStart)
        let needed = period.end.adding(settleDelay)
        var problems: [String] = []
        if now < needed {
            problems.append(
                "the period ends \(period.end.rfc3339(fractionalDigits: .none)); with the settle delay it closes "
                    + "\(needed.rfc3339(fractionalDigits: .none)), now is \(now.rfc3339(fractionalDigits: .none))")
        }
        for source in try await store.sourceProgress(period: period, subject: invoice.subject) {
            let name = "source \(source.source) (pipeline \(source.pipeline))"
            if source.consecutiveFailures > 0 {
                problems.append(
                    "\(name) is failing: \(source.consecutiveFailures) consecutive failures"
                        + (source.lastError.map { ", last: \($0)" } ?? ""))
            }
            guard let last = source.lastSucceeded else {
                problems.append("\(name) has never collected successfully")
                continue
            }
            let through = last.adding(.zero - settleDelay)
            if through < period.end {
                problems.append(
                    "\(name) has committed through \(through.rfc3339(fractionalDigits: .none)) (last success "
                        + "\(last.rfc3339(fractionalDigits: .none)) minus settle delay); the span "
                        + "[\(through.rfc3339(fractionalDigits: .none)), \(period.end.rfc3339(fractionalDigits: .none))) "
                        + "is not settled")
            }
        }
        for gap in try await store.seriesGaps(period: period, subject: invoice.subject) {
            problems.append(
                "series \(gap.source)/\(gap.metric)\(gap.dimensions) has a gap between "
                    + "\(gap.from.rfc3339(fractionalDigits: .none)) and \(gap.to.rfc3339(fractionalDigits: .none))")
        }
        return Completeness(complete: problems.isEmpty, problems: problems)
    }
}

/// Finalize and void: the transitions finance performs, each checked before
/// anything is written.
public struct InvoiceLifecycle: Sendable {
    public let store: any InvoiceStore
    public let settings: InvoicingSettings

    public init(store: any InvoiceStore, settings: InvoicingSettings) {
        self.store = store
        self.settings = settings
    }

    /// Recomputes the draft from the ledger, checks the gate and finalizes it
    /// with the next number, recording how far the usage audit trail went;
    /// then appends the finalization to the invoicing audit trail.
    /// `force` (with a reason) finalizes past the gate.
    public func finalize(id: String, force: Bool, reason: String?, now: Timestamp) async throws -> Invoice {
        try await recordAudit()
        let invoice = try await finalizeDraft(id: id, force: force, reason: reason, now: now)
        try await recordAudit(after: invoice)
        return invoice
    }

    private func finalizeDraft(id: String, force: Bool, reason: String?, now: Timestamp) async throws -> Invoice {
        if force, (reason ?? "").isEmpty { throw InvoiceError.reasonRequired("--force") }
        guard let stored = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
        guard stored.status == .draft else { throw InvoiceError.notFinalizable(id: id, status: stored.status) }
        let period = BillingPeriod(containing: stored.periodStart)
        // The trail's end before the ledger is read: every usage line up to it is in the ledger's totals.
        let position = try settings.usageTrail?.lastPosition()
        // The draft as the ledger has it now: late usage since the last run is included.
        _ = try await InvoiceRun(store: store, settings: settings).run(period: period, subject: stored.subject)
        guard let draft = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
        let completeness = try await CompletenessGate.check(
            invoice: draft, store: store, settleDelay: settings.settleDelay, now: now)
        if !completeness.complete && !force {
            throw InvoiceError.incomplete(id: id, problems: completeness.problems)
        }
        return try await store.finalize(
            id: id, prefix: settings.prefix(at: now), at: now, completeness: completeness,
            forcedReason: completeness.complete ? nil : reason, usageAudit: position)
    }

    /// Finalizes every draft of `period`; stops at the first refusal (the ones before it stay finalized).
    public func finalize(period: BillingPeriod, force: Bool, reason: String?, now: Timestamp) async throws
        -> [Invoice]
    {
        try await recordAudit()
        let drafts = try await store.invoices(InvoiceFilter(period: period, status: .draft))
        var out: [Invoice] = []
        for draft in drafts {
            let invoice = try await finalizeDraft(id: draft.id, force: force, reason: reason, now: now)
            out.append(invoice)
            try await recordAudit(after: invoice)
        }
        return out
    }

    public func void(id: String, reason: String, now: Timestamp) async throws -> Invoice {
        guard !reason.isEmpty else { throw InvoiceError.reasonRequired("void") }
        try await recordAudit()
        guard let stored = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
        guard stored.status == .finalized else { throw InvoiceError.notVoidable(id: id, status: stored.status) }
        let invoice = try await store.void(id: id, reason: reason, at: now, replacement: nil)
        try await recordAudit(after: invoice)
        return invoice
    }

    /// Voids a finalized invoice and, in the same transaction, drafts its
    /// replacement from the ledger as it is now (`replaces` = the voided
    /// number; finalized like any draft, with a number of its own).
    public func voidAndReplace(id: String, reason: String, now: Timestamp) async throws -> (
        voided: Invoice, replacement: Invoice
    ) {
        guard !reason.isEmpty else { throw InvoiceError.reasonRequired("void") }
        try await recordAudit()
        guard let stored = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
        guard stored.status == .finalized else { throw InvoiceError.notVoidable(id: id, status: stored.status) }
        let period = BillingPeriod(containing: stored.periodStart)
        let drafts = try await InvoiceRun(store: store, settings: settings).compute(
            period: period, subject: stored.subject)
        guard var replacement = drafts.first(where: { $0.currency.code == stored.currency.code }) else {
            throw InvoiceError.nothingToReplaceWith(id: id)
        }
        replacement.id = InvoiceID.replacement(of: id)
        replacement.replaces = stored.number
        let voided = try await store.void(id: id, reason: reason, at: now, replacement: replacement)
        try await recordAudit(after: voided)
        return (voided, replacement)
    }

    /// Appends the finalizations and voids not yet in the invoicing audit trail
    /// (none is configured: nothing to do); the number appended or matched.
    @discardableResult
    public func recordAudit() async throws -> Int {
        guard let log = settings.auditLog else { return 0 }
        return try await InvoiceAuditRecorder(store: store, log: log).catchUp()
    }

    /// `recordAudit` after `invoice` changed: a failure says the change itself stands.
    private func recordAudit(after invoice: Invoice) async throws {
        do {
            try await recordAudit()
        } catch {
            throw InvoiceError.storage(
                "\(invoice.id) is \(invoice.status.rawValue) (\(invoice.number ?? "no number")), but its audit line "
                    + "could not be written: \(error); the next invoice command appends it")
        }
    }
}
