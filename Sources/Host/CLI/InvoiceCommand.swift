public import ArgumentParser
import Core
import Invoicing
import Logging
import Rating
import YAMLConfig

extension RunReport.Format: ExpressibleByArgument {}
extension InvoiceStatus: ExpressibleByArgument {}

/// `billing-service invoice`: drafts from the ledger, finalize, void, documents.
struct InvoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice", abstract: "Invoices: run a period's drafts, list, show, finalize, void.",
        subcommands: [
            InvoiceRunCommand.self, InvoiceListCommand.self, InvoiceShowCommand.self, InvoiceFinalizeCommand.self,
            InvoiceVoidCommand.self, InvoiceVerifyCommand.self,
        ])
}

/// `invoice run`: recompute the period's drafts from the ledger.
struct InvoiceRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Recompute the drafts of a period from the ledger (finalized ones stay).")

    @OptionGroup var options: InvoicingOptions

    @Option(help: "The billing period, a UTC month: 2026-11.")
    var period: String

    @Option(help: "Only this subject.")
    var subject: String?

    @Flag(help: "Exit at once when another run holds the period, instead of waiting for it.")
    var noWait = false

    @Option(help: "table or json.")
    var format: RunReport.Format = .table

    func run() async throws {
        let output = try await options.with { store, settings in
            let billing = try InvoiceRun.period(period, now: SystemClock().now())
            // Finalizations and voids a crash kept out of the audit trail go in first.
            try await InvoiceLifecycle(store: store, settings: settings).recordAudit()
            let result = try await InvoiceRun(store: store, settings: settings).run(
                period: billing, subject: subject, wait: !noWait)
            return RunReport.render(result, period: billing.description, format: format)
        }
        print(output, terminator: "")
    }
}

/// `invoice list`.
struct InvoiceListCommand: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    static let configuration = CommandConfiguration(commandName: "list", abstract: "List invoices.")

    @OptionGroup var options: InvoicingOptions

    @Option(help: "Only this period (2026-11).")
    var period: String?

    @Option(help: "Only this subject.")
    var subject: String?

    @Option(help: "draft, finalized or void.")
    var status: InvoiceStatus?

    @Option(help: "table, json or csv (one row per line).")
    var format: Format = .table

    func run() async throws {
        let output = try await options.with { store, _ in
            var billing: BillingPeriod?
            if let period {
                guard let parsed = BillingPeriod(period) else { throw InvoiceError.badPeriod(period) }
                billing = parsed
            }
            let invoices = try await store.invoices(InvoiceFilter(period: billing, subject: subject, status: status))
            switch format {
            case .table: return InvoiceTable.render(invoices)
            case .json: return InvoiceJSON.pretty(invoices)
            case .csv: return InvoiceCSV.render(invoices)
            }
        }
        print(output, terminator: "")
    }
}

/// `invoice show ID`.
struct InvoiceShowCommand: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, html, csv
    }

    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One invoice as JSON, a self-contained HTML document, or CSV.")

    @OptionGroup var options: InvoicingOptions

    @Argument(help: "The invoice id (inv_...).")
    var id: String

    @Option(help: "json, html or csv.")
    var format: Format = .json

    func run() async throws {
        let output = try await options.with { store, _ in
            guard let invoice = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
            switch format {
            case .json: return InvoiceJSON.pretty(invoice)
            case .html: return InvoiceHTML.render(invoice)
            case .csv: return InvoiceCSV.render([invoice])
            }
        }
        print(output, terminator: "")
    }
}

/// `invoice finalize (ID | --period P) [--force --reason TEXT]`.
struct InvoiceFinalizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Finalize a draft (or every draft of a period): gapless number, refused while the period is open.")

    @OptionGroup var options: InvoicingOptions

    @Argument(help: "The invoice id.")
    var id: String?

    @Option(help: "Finalize every draft of this period instead.")
    var period: String?

    @Flag(help: "Finalize although the completeness gate refuses (needs --reason).")
    var force = false

    @Option(help: "Why the gate is overridden (kept on the invoice).")
    var reason: String?

    func validate() throws {
        guard (id == nil) != (period == nil) else { throw ValidationError("give an invoice ID or --period, not both") }
        if force, (reason ?? "").isEmpty { throw ValidationError("--force needs --reason TEXT") }
    }

    func run() async throws {
        let output = try await options.with { store, settings in
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            let now = SystemClock().now()
            let done: [Invoice]
            if let id {
                done = [try await lifecycle.finalize(id: id, force: force, reason: reason, now: now)]
            } else if let period {
                let billing = try InvoiceRun.period(period, now: now)
                done = try await lifecycle.finalize(period: billing, force: force, reason: reason, now: now)
            } else {
                done = []
            }
            return done.map { "finalized \($0.id) as \($0.number ?? "?")\n" }.joined()
        }
        print(output.isEmpty ? "no drafts to finalize\n" : output, terminator: "")
    }
}

/// `invoice void ID --reason TEXT [--replace]`.
struct InvoiceVoidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void", abstract: "Void a finalized invoice: it keeps its number and content.")

    @OptionGroup var options: InvoicingOptions

    @Argument(help: "The invoice id.")
    var id: String

    @Option(help: "Why it is voided (required, kept on the invoice).")
    var reason: String

    @Flag(help: "Also draft its replacement from the ledger as it is now (it refers to the voided number).")
    var replace = false

    func run() async throws {
        let output = try await options.with { store, settings in
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            let now = SystemClock().now()
            guard replace else {
                let invoice = try await lifecycle.void(id: id, reason: reason, now: now)
                return "voided \(invoice.id) (\(invoice.number ?? "?"))\n"
            }
            let (voided, replacement) = try await lifecycle.voidAndReplace(id: id, reason: reason, now: now)
            return "voided \(voided.id) (\(voided.number ?? "?")); replacement draft \(replacement.id) "
                + "(total \(replacement.total) \(replacement.currency.code))\n"
        }
        print(output, terminator: "")
    }
}
