import Core
public import Logging
public import PostgresNIO
import Synchronization

/// How the pooled client connects and how long a call may take; read from the
/// sink's config (`pool_size`, `connect_timeout`, `query_timeout`) or the CLI flags.
///
/// Every database call has a deadline, so a server that is down, unreachable or
/// stuck turns into a retryable error the host can report and retry, never a
/// call that hangs.
public struct PostgresConnectionOptions: Sendable, Hashable {
    /// Most connections the pool opens (the sink uses one per batch in flight).
    public var poolSize: Int
    /// How long to wait for a connection (server down, pool exhausted) before
    /// failing with a retryable error, so the host can report not ready and retry.
    public var connectTimeout: Duration
    /// How long one call on a connection may take (a query, or a whole
    /// transaction with its COPYs) before the connection is closed and the
    /// call fails with a retryable error.
    public var queryTimeout: Duration

    public init(poolSize: Int = 4, connectTimeout: Duration = .seconds(10), queryTimeout: Duration = .seconds(30)) {
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout
    }
}

/// One PostgreSQL database: a postgres-nio connection pool and its background task.
///
/// Exists because `PostgresClient.run()` must be running for the pool to lease
/// anything: this type starts it on first use, bounds the wait for a connection
/// (the pool itself reconnects with backoff while the server is down), and
/// cancels it on `shutdown()`. Shared by the sink, the state store, the migrator
/// and the usage queries of one process.
public final class LedgerDatabase: Sendable {
    public let url: DatabaseURL
    public let options: PostgresConnectionOptions
    /// The ledger schema this pool's connections resolve unqualified table names
    /// in (their `search_path`, set at connect time), so statements prepared once
    /// per connection need not name it. Statements built at run time still
    /// qualify every table.
    public let schema: LedgerSchema
    let logger: Logger
    private let client: PostgresClient
    private let runTask = Mutex<RunState>(.idle)

    private enum RunState {
        case idle
        case running(Task<Void, Never>)
        case shutDown
    }

    public init(
        url: DatabaseURL, options: PostgresConnectionOptions = .init(), schema: LedgerSchema = .default,
        logger: Logger
    ) {
        self.url = url
        self.options = options
        self.schema = schema
        self.logger = logger
        var configuration = url.clientConfiguration()
        configuration.options.maximumConnections = max(1, options.poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = options.connectTimeout
        // A schema name is a plain identifier (checked by LedgerSchema); pg_catalog
        // is searched first regardless, so built-in functions resolve as usual.
        configuration.options.additionalStartupParameters = [
            ("application_name", ConnectionIdentity.applicationName), ("search_path", schema.name),
        ]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Starts the pool's background task (idempotent). Called by every operation.
    public func start() {
        runTask.withLock { state in
            guard case .idle = state else { return }
            let client = self.client
            state = .running(Task { await client.run() })
        }
    }

    /// Closes every connection and stops the pool. Operations after this fail.
    public func shutdown() async {
        let task: Task<Void, Never>? = runTask.withLock { state in
            defer { state = .shutDown }
            if case .running(let task) = state { return task }
            return nil
        }
        guard let task else { return }
        task.cancel()
        await task.value
    }

    /// Runs `body` on a pooled connection, within deadlines: the wait for a
    /// connection is bounded by `connectTimeout`, `body` by `queryTimeout`
    /// (`deadline`, when given, bounds each of the two instead, e.g. a probe).
    ///
    /// A deadline that passes, or the caller's cancellation, returns at once:
    /// a lease still pending is given up (`body` never runs for this call even
    /// if a connection arrives later), and a `body` still running has its
    /// connection closed, so a statement stuck on a dead server cannot hang
    /// the caller. A write cut off this way may or may not have committed;
    /// the caller retries it, and the ledger's writes are idempotent.
    ///
    /// When no connection came in time, one direct connection attempt tells
    /// why: a refusal that no retry can cure (wrong password, unknown role or
    /// database, TLS refused) is a permanent `PluginError` naming the SQLSTATE;
    /// anything else (server down, unreachable, pool busy) is retryable.
    public func withConnection<Result: Sendable>(
        component: String, deadline: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        if case .shutDown = runTask.withLock({ $0 }) {
            throw PluginError(.permanent, component: component, "the database client is closed")
        }
        start()
        let client = self.client
        let leaseTimeout = deadline.map { min($0, options.connectTimeout) } ?? options.connectTimeout
        let queryTimeout = deadline.map { min($0, options.queryTimeout) } ?? options.queryTimeout
        let call = DatabaseCall<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                call.install(continuation)
                call.setWork(
                    Task {
                        do {
                            let result = try await client.withConnection { connection in
                                guard call.claim(connection) else { throw CancellationError() }
                                call.setTimer(
                                    Task {
                                        guard (try? await Task.sleep(for: queryTimeout)) != nil else { return }
                                        let expired = PluginError(
                                            .retryable, component: component,
                                            "the database call did not finish within \(queryTimeout) (query_timeout); "
                                                + "its connection was closed")
                                        // Close first and let the work hand the closed connection
                                        // back before the caller goes on: a lease asked for while
                                        // the closed one was still out was seen to wait for the
                                        // lease timeout in postgres-nio's pool.
                                        guard let work = call.abandonQuery() else { return }
                                        try? await connection.close()
                                        if let work {
                                            _ = await Deadline.run(within: .seconds(2)) { await work.value }
                                        }
                                        call.finish(.failure(expired))
                                    })
                                return try await body(connection)
                            }
                            call.finish(.success(result), fromWork: true)
                        } catch {
                            call.finish(.failure(error), fromWork: true)
                        }
                    })
                call.setTimer(
                    Task { [self] in
                        guard (try? await Task.sleep(for: leaseTimeout)) != nil else { return }
                        guard call.abandonLease() else { return }
                        let problem = await connectionProblem(component: component, waited: leaseTimeout)
                        call.finish(.failure(problem))
                    })
            }
        } onCancel: {
            call.cancel()
        }
    }

    /// Why the pool handed out no connection within `waited`: one direct
    /// connection attempt, bounded by the same time, classified.
    func connectionProblem(component: String, waited: Duration) async -> PluginError {
        let what = "no connection to \(url) within \(waited)"
        switch await directConnection(component: component, within: waited) {
        case .accepted:
            return PluginError(
                .retryable, component: component,
                "\(what): every pooled connection is busy (pool_size \(options.poolSize)); the server answers")
        case .refused(let error):
            let mapped = PostgresErrorMapping.pluginError(error, component: component, doing: what)
            guard mapped.isRetryable else { return Self.refusal(mapped) }
            return PluginError(.retryable, component: component, "\(mapped.message) (is the server up?)")
        case .timedOut:
            return PluginError(.retryable, component: component, "\(what) (is the server up and reachable?)")
        }
    }

    /// Throws a permanent `PluginError` when the server refuses this URL for
    /// good (wrong password, unknown role or database, TLS refused); returns
    /// when it accepts the connection, or cannot be reached within `within`
    /// (the server may be down: waiting for it can still help). For commands
    /// to fail at once, before they start waiting for the database.
    public func requireAcceptance(component: String, within: Duration) async throws {
        guard case .refused(let error) = await directConnection(component: component, within: within) else { return }
        let mapped = PostgresErrorMapping.pluginError(error, component: component, doing: "connecting to \(url)")
        if !mapped.isRetryable { throw Self.refusal(mapped) }
    }

    private static func refusal(_ mapped: PluginError) -> PluginError {
        PluginError(
            .permanent, component: mapped.component,
            "\(mapped.message): the server refused the connection (check the URL's user, password and database); "
                + "retrying cannot help")
    }

    private enum DirectConnection {
        case accepted
        case refused(any Error)
        case timedOut
    }

    /// One connection outside the pool (closed at once), whose error the pool
    /// would only log while it retries.
    private func directConnection(component: String, within limit: Duration) async -> DirectConnection {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try url.connectionConfiguration(connectTimeout: limit)
        } catch {
            return .refused(PluginError(.permanent, component: component, "TLS settings of \(url): \(error)"))
        }
        let logger = self.logger
        let attempt = await Deadline.run(within: limit) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
        }
        switch attempt {
        case .finished(.success): return .accepted
        case .finished(.failure(let error)): return .refused(error)
        case .timedOut: return .timedOut
        }
    }

    /// Checks the server answers a trivial statement within `deadline` (a probe).
    public func ping(component: String, within deadline: Duration) async throws {
        let logger = self.logger
        try await withConnection(component: component, deadline: deadline) { connection in
            _ = try await connection.query("SELECT 1", logger: logger)
        }
    }

    /// Runs `body` in one transaction (BEGIN … COMMIT, ROLLBACK on error).
    ///
    /// Not postgres-nio's `withTransaction`: after the server died mid-transaction
    /// its ROLLBACK on the dead connection was seen not to return under load.
    /// A server rolls back by itself when the connection drops, so ROLLBACK is
    /// only sent on a connection that is still open.
    public func withTransaction<Result: Sendable>(
        component: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection(component: component) { connection in
            try await connection.query("BEGIN", logger: logger)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                if !connection.isClosed {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                }
                throw error
            }
            try await connection.query("COMMIT", logger: logger)
            return result
        }
    }
}

/// Who resumes the caller of one `withConnection` call: the work (its lease
/// and `body`), a deadline, or the caller's cancellation; exactly once, and
/// whichever comes first. The others find the call finished and do nothing.
private final class DatabaseCall<Result: Sendable>: Sendable {
    private enum Phase {
        case waiting
        case leased(PostgresConnection)
        case abandoned
        case finished
    }

    private struct State {
        var phase = Phase.waiting
        var continuation: CheckedContinuation<Result, any Error>?
        var timer: Task<Void, Never>?
        var work: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Keeps the caller's continuation; resumes it at once when the caller was
    /// cancelled before it got here.
    func install(_ continuation: CheckedContinuation<Result, any Error>) {
        let over = state.withLock { current -> Bool in
            if case .finished = current.phase { return true }
            current.continuation = continuation
            return false
        }
        if over { continuation.resume(throwing: CancellationError()) }
    }

    func setWork(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { current -> Bool in
            current.work = task
            return current.cancelled
        }
        if cancelled { task.cancel() }
    }

    /// Replaces the running deadline (the lease's by the query's); no timer
    /// outlives the call.
    func setTimer(_ task: Task<Void, Never>) {
        let stale = state.withLock { current -> Task<Void, Never>? in
            if case .finished = current.phase { return task }
            defer { current.timer = task }
            return current.timer
        }
        stale?.cancel()
    }

    /// The pool handed out `connection`: `body` may run unless the call is over.
    func claim(_ connection: PostgresConnection) -> Bool {
        state.withLock { current in
            guard case .waiting = current.phase else { return false }
            current.phase = .leased(connection)
            return true
        }
    }

    /// The lease deadline passed with no connection: give up the lease (the
    /// caller is resumed once the cause is known).
    func abandonLease() -> Bool {
        let work = state.withLock { current -> Task<Void, Never>?? in
            guard case .waiting = current.phase else { return nil }
            current.phase = .abandoned
            return .some(current.work)
        }
        guard let work else { return false }
        work?.cancel()
        return true
    }

    /// The query deadline passed while `body` ran: the work's own end is
    /// ignored from now on (the deadline resumes the caller). The work task,
    /// or nil when the call was already over.
    func abandonQuery() -> Task<Void, Never>?? {
        state.withLock { current -> Task<Void, Never>?? in
            guard case .leased = current.phase else { return nil }
            current.phase = .abandoned
            return .some(current.work)
        }
    }

    /// Resumes the caller with `result` unless someone already did; true if
    /// this did. The work's own end is ignored once its lease was abandoned
    /// (the deadline then resumes the caller with the cause).
    @discardableResult
    func finish(_ result: Swift.Result<Result, any Error>, fromWork: Bool = false) -> Bool {
        let taken = state.withLock { current -> (CheckedContinuation<Result, any Error>?, Task<Void, Never>?)? in
            switch current.phase {
            case .finished: return nil
            case .abandoned where fromWork: return nil
            case .waiting, .leased, .abandoned: current.phase = .finished
            }
            defer {
                current.continuation = nil
                current.timer = nil
            }
            return (current.continuation, current.timer)
        }
        guard let (continuation, timer) = taken else { return false }
        timer?.cancel()
        continuation?.resume(with: result)
        return true
    }

    /// The caller was cancelled: resume it now, stop the work, and close a
    /// leased connection so a statement in flight cannot keep it waiting.
    func cancel() {
        let (work, connection) = state.withLock { current -> (Task<Void, Never>?, PostgresConnection?) in
            current.cancelled = true
            if case .leased(let connection) = current.phase { return (current.work, connection) }
            return (current.work, nil)
        }
        guard finish(.failure(CancellationError())) else { return }
        work?.cancel()
        if let connection { Task { try? await connection.close() } }
    }
}
