import ArgumentParser
import Core
import Invoicing
import Rating

/// `invoice verify ID --audit PATH`: recompute the invoice from the usage audit trail alone.
struct InvoiceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute an invoice from a usage audit trail (up to the position it recorded) and compare.")

    @OptionGroup var options: InvoicingOptions

    @Argument(help: "The invoice id.")
    var id: String

    @Option(help: "The usage audit trail: a jsonl_audit sink's directory or one of its files.")
    var audit: String

    func run() async throws {
        let output = try await options.with { store, settings in
            guard let invoice = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
            let reader: any AuditTrailReading
            do {
                reader = try PluginRegistry.builtIn().auditTrailReader()
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
            let (facts, reached): ([UsageFact], AuditPosition?)
            do {
                (facts, reached) = try reader.auditedUsage(at: audit, through: invoice.audit?.seq)
            } catch {
                throw CommandFailure.runtime("\(audit) does not verify: \(error)")
            }
            var problems: [String] = []
            if let recorded = invoice.audit {
                if let reached, reached.seq == recorded.seq {
                    if reached.hash != recorded.hash {
                        problems.append(
                            "the invoice read usage up to seq \(recorded.seq) with hash \(recorded.hash); "
                                + "\(audit) has hash \(reached.hash) there: another trail, or it was rewritten")
                    }
                } else {
                    problems.append(
                        "the invoice read usage up to seq \(recorded.seq) (\(recorded.file)); \(audit) ends before it")
                }
            }
            let period = BillingPeriod(containing: invoice.periodStart)
            let spans = try await store.activitySpans(period: period, subject: invoice.subject)
            let report = try InvoiceAuditVerification.check(invoice, facts: facts, spans: spans, settings: settings)
            problems += report.differences
            if let log = settings.auditLog, invoice.status != .draft {
                problems += try await Self.issuanceProblems(invoice, log: log)
            }
            let through =
                invoice.audit.map { "through seq \($0.seq)" } ?? "(all of it: the invoice records no position)"
            guard problems.isEmpty else {
                throw CommandFailure.runtime(
                    "invoice \(invoice.id) (\(invoice.number ?? "draft")) does not match \(audit) \(through):\n"
                        + problems.map { "  - \($0)\n" }.joined())
            }
            return "ok: invoice \(invoice.id) (\(invoice.number ?? "draft")) matches \(audit) \(through): "
                + "\(report.recomputed.lines.count) lines, total \(invoice.total) \(invoice.currency.code)\n"
        }
        print(output, terminator: "")
    }

    /// Whether the invoicing audit trail holds the invoice's finalization (and
    /// void) with the content hash the invoice has.
    static func issuanceProblems(_ invoice: Invoice, log: any InvoiceAuditLog) async throws -> [String] {
        let entries = try await log.entries(after: nil).filter { $0.entry.invoiceID == invoice.id }
        var events: [InvoiceAuditEntry.Event] = [.finalized]
        if invoice.status == .void { events.append(.void) }
        var out: [String] = []
        for event in events {
            let expected = try InvoiceAuditRecorder.entry(invoice, event)
            guard let found = entries.first(where: { $0.entry.event == event }) else {
                out.append("the invoicing audit trail \(log.auditTrailPath) has no \(event.rawValue) line for it")
                continue
            }
            if found.entry.contentHash != expected.contentHash {
                out.append(
                    "the \(event.rawValue) line (seq \(found.position.seq)) records content hash "
                        + "\(found.entry.contentHash); the invoice's is \(expected.contentHash): it changed since")
            }
        }
        return out
    }
}
