public import Core

/// Pipeline state (source cursors, series baselines, last committed batch) kept
/// in the ledger's own database.
///
/// Exists so a second process pointed at the same database resumes exactly
/// where a dead one stopped (`state: { store: postgres }`), and so the
/// `postgres` sink can commit a batch's state in the same transaction as its
/// facts. `commit` is idempotent: after the sink committed a sequence in its
/// write transaction, the host's own `commit` of it changes nothing.
public final class PostgresStateStore: PipelineStateStore {
    public let database: LedgerDatabase
    public let schema: LedgerSchema
    let component: String

    public init(database: LedgerDatabase, schema: LedgerSchema = .default, component: String = "state") {
        self.database = database
        self.schema = schema
        self.component = component
    }

    private var writer: StateWriter { StateWriter(schema: schema, logger: database.logger) }

    public func load(pipeline: String) async throws -> PipelineState {
        let writer = self.writer
        do {
            return try await database.withConnection(component: component) { connection in
                try await writer.load(pipeline: pipeline, on: connection)
            }
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: component, doing: "loading state of \(pipeline)")
        }
    }

    public func commit(_ commit: StateCommit) async throws {
        let writer = self.writer
        guard commit.sequence <= UInt64(Int64.max) else {
            throw PluginError(.permanent, component: component, "batch sequence \(commit.sequence) exceeds bigint")
        }
        do {
            _ = try await database.withTransaction(component: component) { connection in
                try await writer.apply(commit, on: connection)
            }
        } catch {
            throw PostgresErrorMapping.pluginError(
                error, component: component, doing: "committing batch \(commit.sequence) of \(commit.pipeline)")
        }
    }

    public var keepsRequestKeys: Bool { true }

    public func requestDigests(pipeline: String, source: String, keys: [String]) async throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        let writer = self.writer
        do {
            return try await database.withConnection(component: component) { connection in
                try await writer.requestDigests(pipeline: pipeline, source: source, keys: keys, on: connection)
            }
        } catch {
            throw PostgresErrorMapping.pluginError(
                error, component: component, doing: "reading request ids of \(pipeline)/\(source)")
        }
    }

    public func recordStatus(pipeline: String, source: String, state: SourceState) async throws {
        let writer = self.writer
        do {
            try await database.withConnection(component: component) { connection in
                try await writer.upsertSource(
                    pipeline: pipeline, source: source, state: state, moveCursor: false, on: connection)
            }
        } catch {
            throw PostgresErrorMapping.pluginError(
                error, component: component, doing: "recording status of \(pipeline)/\(source)")
        }
    }
}
