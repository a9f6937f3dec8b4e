public import Core

/// The decoded `sinks.<id>` entry of `type: postgres`.
public struct PostgresSinkSettings: Sendable, Hashable {
    /// Where the `postgres://` URL comes from (`database_url_env` / `database_url_file`).
    public var databaseURL: SecretReference
    public var schema: LedgerSchema
    public var connection: PostgresConnectionOptions

    public init(
        databaseURL: SecretReference, schema: LedgerSchema = .default,
        connection: PostgresConnectionOptions = .init()
    ) {
        self.databaseURL = databaseURL
        self.schema = schema
        self.connection = connection
    }
}

/// Makes `postgres` sinks: the billing ledger (facts, minute totals, batch log)
/// and, when a pipeline says `state: { store: postgres }`, its state store.
public struct PostgresSinkFactory: SinkFactory {
    public let type = "postgres"
    public let summary = "PostgreSQL ledger: idempotent facts, minute totals, batch log, pipeline state"

    public init() {}

    public func makeSink(id: String, config: ConfigMap, context: PluginContext) -> (any FactSink)? {
        guard let settings = Self.decode(config) else { return nil }
        return PostgresSink(id: id, settings: settings, context: context)
    }

    /// Decodes and validates the config without I/O, recording every problem; `nil` when there was any.
    public static func decode(_ config: ConfigMap) -> PostgresSinkSettings? {
        let problemsBefore = config.diagnostics.problems.count
        config.declare("type")
        let url = config.secret("database_url", required: true)
        var schema = LedgerSchema.default
        if let name = config.string("schema") {
            if let parsed = LedgerSchema(name) {
                schema = parsed
            } else {
                config.problem(
                    "schema", "must be a lowercase SQL identifier (a-z, 0-9, _; not starting with a digit or pg_)")
            }
        }
        var connection = PostgresConnectionOptions()
        if let size = config.integer("pool_size", in: 1...100) { connection.poolSize = size }
        if let timeout = config.duration("connect_timeout", minimum: .seconds(1)) {
            connection.connectTimeout = timeout
        }
        if let timeout = config.duration("query_timeout", minimum: .seconds(1)) {
            connection.queryTimeout = timeout
        }
        config.finish()
        guard config.diagnostics.problems.count == problemsBefore, let url else { return nil }
        return PostgresSinkSettings(databaseURL: url, schema: schema, connection: connection)
    }
}
