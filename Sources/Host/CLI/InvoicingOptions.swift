import ArgumentParser
import Core
import Invoicing
import Logging
import Rating
import YAMLConfig

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
