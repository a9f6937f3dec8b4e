public import Core
public import Host
import Hummingbird
import Invoicing
public import Logging
import NIOCore
public import Prometheus
import Rating
public import ServiceLifecycle
import UnixSignals

/// The daemon assembled from a validated configuration: one engine per
/// pipeline, the collection scheduler, the HTTP API, the ledger clients.
///
/// `services` lists them in start order; a `ServiceGroup` stops them in
/// reverse: HTTP stops taking requests (finishing those in flight), the
/// scheduler stops collecting, each pipeline applies what was queued and
/// closes its sinks, then the database clients close.
public struct BillingDaemon: Sendable {
    /// Which listener a port belongs to.
    public enum Listener: Sendable, Hashable {
        case api
        case probes
    }

    public let settings: ServiceSettings
    public let roster: SourceRoster
    public let scheduler: CollectionScheduler
    public let api: APIServer
    /// `service.invoicing`, when configured.
    let invoiceSchedule: InvoiceSchedule?
    let ledgers: [LedgerHandle]
    /// Every sink with long-lived clients, once each.
    let clients: [any ClientLifecycle]
    /// Every sink that reports readiness, once each (`/readyz`, the start-up credential check).
    let readiness: [any ReadinessReporting]
    let logger: Logger

    /// Builds every part without I/O except reading the token files. Throws a
    /// `SecretError` naming the token or database URL that cannot be read.
    public init(
        configuration: HostConfiguration, context: PluginContext, registry: PrometheusCollectorRegistry,
        logger: Logger
    ) throws {
        let settings = configuration.service ?? ServiceSettings()
        self.settings = settings
        self.logger = logger
        let metrics = DaemonMetrics(factory: context.metrics)
        let authenticator = try Authenticator(tokens: settings.tokens, context: context)
        let host = PipelineHost(configuration: configuration, context: context)
        var fileStore: FileStateStore?
        if case .file(let path) = configuration.state { fileStore = FileStateStore(directory: path) }
        let rater = configuration.pricing.map { Rater(catalog: $0) }

        var engines: [PipelineEngine] = []
        var sources: [DaemonSource] = []
        var ledgers: [LedgerHandle] = []
        var clients: [String: any ClientLifecycle] = [:]
        var readiness: [String: any ReadinessReporting] = [:]
        var invoiceProvider = configuration.invoicing.storeSink.flatMap {
            configuration.sinksByID[$0] as? any InvoiceStoreProvider
        }
        for pipeline in configuration.pipelines {
            let store = try host.makeStateStore(for: pipeline, fileStore: fileStore)
            for sink in pipeline.sinks {
                if let ledger = sink as? any UsageLedger {
                    ledgers.append(LedgerHandle(pipeline: pipeline.id, ledger: ledger))
                }
                if let client = sink as? any ClientLifecycle, clients[sink.id] == nil {
                    try client.prepareClients()
                    clients[sink.id] = client
                }
                if let ready = sink as? any ReadinessReporting { readiness[ready.readinessName] = ready }
                if invoiceProvider == nil, let provider = sink as? any InvoiceStoreProvider {
                    invoiceProvider = provider
                }
            }
            // One process writes a pipeline of a shared ledger at a time (docs/operations.md).
            let lock = PipelineLock(pipeline: pipeline)
            var instrumented = pipeline
            instrumented.sinks = pipeline.sinks.map {
                InstrumentedSink(base: LockedSink(base: $0, lock: lock), metrics: metrics)
            }
            let committer = BatchCommitter(
                pipeline: instrumented, store: store, rater: rater, clock: context.clock,
                retry: RetryPolicy(maximumAttempts: 3))
            engines.append(
                PipelineEngine(
                    committer: committer, sources: pipeline.sources, logger: logger, observer: metrics, lock: lock))
            for source in pipeline.sources {
                sources.append(
                    DaemonSource(
                        source: source, type: configuration.sourceTypes[source.id], pipeline: pipeline.id,
                        defaultInterval: settings.collectInterval))
            }
        }
        self.ledgers = ledgers
        self.clients = clients.keys.sorted().compactMap { clients[$0] }
        self.readiness = readiness.keys.sorted().compactMap { readiness[$0] }
        let roster = SourceRoster(sources: sources, engines: engines, clock: context.clock)
        self.roster = roster
        self.scheduler = CollectionScheduler(roster: roster, jitterPercent: settings.jitterPercent, logger: logger)
        // The invoice routes read and write through the first sink that keeps invoices.
        var invoicing: InvoiceHandlers?
        var activity: (any ActivityRecording)?
        var schedule: InvoiceSchedule?
        if let provider = invoiceProvider {
            let store = try provider.invoiceStore()
            activity = InvoiceStoreActivity(store: store)
            if let catalog = configuration.pricing {
                let section = configuration.invoicing
                let invoiceSettings = InvoicingSettings(
                    catalog: catalog, customers: section.customers, numberPrefix: section.numberPrefix,
                    settleDelay: section.settleDelay, auditLog: section.auditLog, usageTrail: section.usageTrail)
                invoicing = InvoiceHandlers(store: store, settings: invoiceSettings)
                if let plan = settings.invoicing {
                    schedule = InvoiceSchedule(
                        plan: plan, store: store, settings: invoiceSettings, clock: context.clock, logger: logger)
                }
            }
        }
        self.invoiceSchedule = schedule
        self.api = APIServer(
            roster: roster, scheduler: scheduler, authenticator: authenticator, metrics: metrics, registry: registry,
            ledgers: ledgers, readiness: self.readiness,
            pricing: configuration.pricing.map { CatalogUsagePricing(catalog: $0) }, invoicing: invoicing,
            activity: activity, logger: logger,
            pushCommitTimeout: settings.pushCommitTimeout)
    }

    /// The services in start order; `onListening` learns each bound port (port 0: chosen by the system).
    public func services(
        onListening: @escaping @Sendable (Listener, Int) async -> Void = { _, _ in }
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: LedgerClientService(clients: clients), successTerminationBehavior: .ignore,
                serviceName: "ledger-clients")
        ]
        for engine in roster.engines {
            services.append(
                .init(
                    service: engine, successTerminationBehavior: .ignore,
                    failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "pipeline:\(engine.id)"))
        }
        services.append(.init(service: scheduler, successTerminationBehavior: .ignore, serviceName: "scheduler"))
        if let invoiceSchedule {
            services.append(
                .init(service: invoiceSchedule, successTerminationBehavior: .ignore, serviceName: "invoicing"))
        }
        let separateProbes = settings.probeHost != nil && settings.probePort != nil
        let apiRoutes = separateProbes ? api.routes.filter { !$0.isProbe } : api.routes
        services.append(
            .init(
                service: application(
                    routes: apiRoutes, host: settings.host, port: settings.port, listener: .api,
                    onListening: onListening),
                serviceName: "http"))
        if let probeHost = settings.probeHost, let probePort = settings.probePort {
            services.append(
                .init(
                    service: application(
                        routes: api.routes.filter(\.isProbe), host: probeHost, port: probePort, listener: .probes,
                        onListening: onListening),
                    serviceName: "http-probes"))
        }
        return services
    }

    private func application(
        routes: [APIRoute], host: String, port: Int, listener: Listener,
        onListening: @escaping @Sendable (Listener, Int) async -> Void
    ) -> some Service {
        let logger = logger
        let settings = settings
        let counter = ConnectionCounter(
            limit: settings.maxConnections, listener: "\(listener)", metrics: api.metrics.factory)
        return Application(
            router: api.router(for: routes),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [
                        ConnectionGuard(settings: settings, counter: counter, logger: logger)
                    ])),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "billing-service"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("listening", metadata: ["address": "\(host):\(bound)", "listener": "\(listener)"])
                await onListening(listener, bound)
            },
            logger: logger)
    }

    /// A service group running `services`, stopped by SIGTERM/SIGINT within the grace period.
    public func serviceGroup(
        signals: Bool = true, onListening: @escaping @Sendable (Listener, Int) async -> Void = { _, _ in }
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services(onListening: onListening), gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownGrace
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}
