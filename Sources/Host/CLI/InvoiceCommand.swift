public import ArgumentParser
import Core
import Invoicing
import Logging
import Rating
import YAMLConfig

extension RunReport.Format: ExpressibleByArgument {}
extension InvoiceStatus: ExpressibleByArgument {}

/// Where an invoice command finds its store and settings: a sink of plugins.yaml
/// that offers the invoice store capability (or `--database-url`), the config's
/// price book and its `invoicing:` section; options override the section.
struct InvoicingOptions: ParsableArguments {
    @Option(
        help:
            "The plugins.yaml: its postgres sink keeps the invoices, rating.price_book prices them, invoicing: sets the rest."
    )
    var config: String?

    @Option(
        help: "The ledger database instead of the config's sink (default schema); needs --price-book without --config.")
    var databaseURL: String?

    @Option(help: "The sink keeping invoices (default: invoicing.store_sink, or the only one that can).")
    var sink: String?

    @Option(help: "A price book to use instead of the config's rating.price_book.")
    var priceBook: String?

    @Option(help: "The customers file (default: invoicing.customers).")
    var customers: String?

    @Option(
        help:
            "The invoice number prefix; {year} is the finalization's UTC year (default: invoicing.number_prefix, INV-{year}-)."
    )
    var numberPrefix: String?

    @Option(
        help: "How long after the period end every source must have collected (default: invoicing.settle_delay, 60s).")
    var settleDelay: String?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        if config == nil && databaseURL == nil { throw ValidationError("give --config FILE or --database-url URL") }
        if config == nil && priceBook == nil {
            throw ValidationError("--database-url without --config needs --price-book FILE")
        }
    }

    /// The store, the settings, and what to shut down when done.
    func open() throws -> (store: any InvoiceStore, settings: InvoicingSettings, close: @Sendable () async -> Void) {
        let logger = CommandEnvironment.logger(label: "billing-service.invoice", level: logLevel)
        let registry = PluginRegistry.builtIn()
        var section = InvoicingSection()
        var catalog: PriceCatalog?
        var opened: (store: any InvoiceStore, close: @Sendable () async -> Void)?
        if let config {
            let context = CommandEnvironment.context(configFile: config, logger: logger)
            let configuration = try CommandEnvironment.loadConfiguration(
                file: config, context: context, registry: registry)
            section = configuration.invoicing
            catalog = configuration.pricing
            if databaseURL == nil { opened = try Self.configuredStore(configuration, named: sink ?? section.storeSink) }
        }
        if let databaseURL {
            guard let factory = registry.sinkFactory(offering: (any InvoiceStoreFactory).self) else {
                throw CommandFailure.usage("no sink type of this build keeps invoices")
            }
            do {
                opened = try factory.invoiceStore(databaseURL: databaseURL, logger: logger)
            } catch {
                throw CommandFailure.usage("--database-url: \(error)")
            }
        }
        if let priceBook {
            do {
                catalog = try PricingLoader.load(path: priceBook, plansPath: nil)
            } catch {
                throw CommandFailure.usage("invalid price book:\n\(error)")
            }
        }
        guard let catalog else {
            throw CommandFailure.usage("\(config ?? "the command") has no rating.price_book; give --price-book FILE")
        }
        if let customers {
            do {
                section.customers = try CustomerDirectory.decode(YAMLDocument.load(path: customers), file: customers)
            } catch {
                throw CommandFailure.usage("invalid customers file:\n\(error)")
            }
        }
        if let settleDelay {
            guard let settle = ConfigValueParser.duration(settleDelay) else {
                throw CommandFailure.usage(
                    "--settle-delay must be a duration such as 60s or 2m, not \"\(settleDelay)\"")
            }
            section.settleDelay = settle
        }
        guard let opened else { throw CommandFailure.usage("give --config FILE or --database-url URL") }
        return (
            opened.store,
            InvoicingSettings(
                catalog: catalog, customers: section.customers, numberPrefix: numberPrefix ?? section.numberPrefix,
                settleDelay: section.settleDelay, auditLog: section.auditLog, usageTrail: section.usageTrail),
            opened.close
        )
    }

    /// The invoice store of the configured sink `named` (or the only one that keeps invoices).
    static func configuredStore(_ configuration: HostConfiguration, named: String?) throws -> (
        store: any InvoiceStore, close: @Sendable () async -> Void
    ) {
        let providers = configuration.sinksByID.sorted { $0.key < $1.key }.compactMap {
            $0.value as? any InvoiceStoreProvider
        }
        let chosen = providers.filter { named == nil || $0.invoiceStoreID == named }
        guard chosen.count == 1, let provider = chosen.first else {
            throw CommandFailure.usage(
                "\(configuration.file): \(chosen.isEmpty ? "no" : "several") sinks that keep invoices"
                    + (named.map { " named \($0)" } ?? "") + " (a postgres sink does); name one with --sink")
        }
        do {
            let store = try provider.invoiceStore()
            let lifecycle = provider as? any ClientLifecycle
            return (store, { await lifecycle?.shutdownClients() })
        } catch {
            throw CommandFailure.usage("\(error)")
        }
    }

    /// Runs `body` with the opened store; maps invoice refusals to exit 1 and closes the database.
    func with<T>(_ body: (any InvoiceStore, InvoicingSettings) async throws -> T) async throws -> T {
        let (store, settings, close) = try open()
        do {
            let result = try await body(store, settings)
            await close()
            return result
        } catch let failure as CommandFailure {
            await close()
            throw failure
        } catch let error as InvoiceError {
            await close()
            switch error {
            case .badPeriod, .futurePeriod, .reasonRequired: throw CommandFailure.usage(error.description)
            default: throw CommandFailure.runtime(error.description)
            }
        } catch {
            await close()
            throw CommandFailure.runtime("\(error)")
        }
    }
}

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

/// `invoice void ID --reason TEXT`.
struct InvoiceVoidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void", abstract: "Void a finalized invoice: it keeps its number and content.")

    @OptionGroup var options: InvoicingOptions

    @Argument(help: "The invoice id.")
    var id: String

    @Option(help: "Why it is voided (required, kept on the invoice).")
    var reason: String

    func run() async throws {
        let output = try await options.with { store, settings in
            let invoice = try await InvoiceLifecycle(store: store, settings: settings).void(
                id: id, reason: reason, now: SystemClock().now())
            return "voided \(invoice.id) (\(invoice.number ?? "?"))\n"
        }
        print(output, terminator: "")
    }
}

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
