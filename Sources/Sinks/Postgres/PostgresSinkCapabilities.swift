public import Core

/// What the host and the daemon ask of the postgres sink: it can keep the
/// pipeline state in its write transaction, answer usage questions, report
/// readiness, and owns a connection pool that lives as long as the process.
extension PostgresSink: StateStoreProvider, UsageLedger, ReadinessReporting, ClientLifecycle {
    public func pipelineStateStore(for pipeline: String) throws -> any PipelineStateStore {
        try stateStore(forPipeline: pipeline)
    }

    public var ledgerID: String { id }

    public func usage(_ query: UsageQuery, after cursor: UsageCursor?, limit: Int) async throws -> UsagePage {
        try await UsageQueryEngine(database: try database()).page(query, after: cursor, limit: limit)
    }

    public func sourceMinuteTotals(source: String, after: Timestamp, through: Timestamp) async throws
        -> [SourceMinuteTotal]
    {
        let database = try database()
        return try await SourceMinuteTotals(database: database, schema: database.schema).run(
            source: source, after: after, through: through)
    }

    public var readinessName: String { "postgres:\(id)" }

    public func checkReady(within deadline: Duration) async throws {
        let database = try database()
        try await Migrator(database: database, schema: database.schema).requireCurrent(
            component: "sinks.\(id)", within: deadline)
    }

    public func checkNotRefused(within deadline: Duration) async throws {
        try await database().requireAcceptance(component: "sinks.\(id)", within: deadline)
    }

    public func prepareClients() throws {
        _ = try database()
    }

    public func startClients() {
        (try? database())?.start()
    }

    public func shutdownClients() async {
        await (try? database())?.shutdown()
    }
}

extension PostgresSinkFactory: StateStoreProviderFactory {}
