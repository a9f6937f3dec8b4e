import Core
public import Logging
public import PostgresNIO
import Synchronization

/// How the pooled client connects; read from the sink's config or the CLI flags.
public struct PostgresConnectionOptions: Sendable, Hashable {
    /// Most connections the pool opens (the sink uses one per batch in flight).
    public var poolSize: Int
    /// How long to wait for a connection (server down, pool exhausted) before
    /// failing with a retryable error, so the host can report not ready and retry.
    public var connectTimeout: Duration

    public init(poolSize: Int = 4, connectTimeout: Duration = .seconds(10)) {
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
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
            ("application_name", "billing-service"), ("search_path", schema.name),
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

    /// Runs `body` on a pooled connection. Waiting for the connection is bounded
    /// by `connectTimeout` (a retryable `PluginError`); `body` itself is not.
    ///
    /// On a timeout this returns at once, without waiting for the pool to give
    /// up the lease (it may keep trying while the server is down), and `body`
    /// never runs for that call even if a connection arrives later.
    public func withConnection<Result: Sendable>(
        component: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        if case .shutDown = runTask.withLock({ $0 }) {
            throw PluginError(.permanent, component: component, "the database client is closed")
        }
        start()
        let client = self.client
        let timeout = options.connectTimeout
        let url = self.url
        let lease = LeaseState()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                let work = Task {
                    do {
                        let result = try await client.withConnection { connection in
                            guard lease.claim() else { throw CancellationError() }
                            lease.cancelTimer()
                            return try await body(connection)
                        }
                        continuation.resume(returning: result)
                    } catch {
                        lease.cancelTimer()
                        if lease.finishAfterError() { continuation.resume(throwing: error) }
                    }
                }
                lease.setTimer(
                    Task {
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        if lease.abandon() {
                            work.cancel()
                            continuation.resume(
                                throwing: PluginError(
                                    .retryable, component: component,
                                    "no connection to \(url) within \(timeout) (is the server up?)"))
                        }
                    })
                lease.setWork(work)
            }
        } onCancel: {
            // The work runs in its own task (so a timeout need not wait for the
            // pool): pass the caller's cancellation on to it.
            lease.cancelWork()
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

/// Who owns the outcome of one `withConnection` call: the lease (a connection
/// arrived in time, `body` runs) or the timeout (the caller already got an
/// error). Exactly one of them resumes the caller.
private final class LeaseState: Sendable {
    private static let waiting = 0
    private static let leased = 1
    private static let abandoned = 2
    private let state = Atomic<Int>(LeaseState.waiting)
    private let timer = Mutex<(task: Task<Void, Never>?, done: Bool)>((nil, false))

    func setTimer(_ task: Task<Void, Never>) {
        let alreadyDone = timer.withLock { current -> Bool in
            current.task = task
            return current.done
        }
        if alreadyDone { task.cancel() }
    }

    private let work = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func setWork(_ task: Task<Void, Never>) {
        let cancelled = work.withLock { current -> Bool in
            current.task = task
            return current.cancelled
        }
        if cancelled { task.cancel() }
    }

    /// The caller was cancelled: cancel the work (a lease wait or `body`).
    func cancelWork() {
        let task = work.withLock { current -> Task<Void, Never>? in
            current.cancelled = true
            return current.task
        }
        task?.cancel()
    }

    /// Stops the timeout once the lease is decided (no sleeping task left behind).
    func cancelTimer() {
        let task = timer.withLock { current -> Task<Void, Never>? in
            current.done = true
            return current.task
        }
        task?.cancel()
    }

    /// The pool handed out a connection: run `body` unless the timeout won.
    func claim() -> Bool {
        state.compareExchange(expected: Self.waiting, desired: Self.leased, ordering: .acquiringAndReleasing).exchanged
    }

    /// The timeout fired: report it unless a connection was claimed first.
    func abandon() -> Bool {
        state.compareExchange(expected: Self.waiting, desired: Self.abandoned, ordering: .acquiringAndReleasing)
            .exchanged
    }

    /// The lease or `body` failed: resume the caller unless the timeout already did.
    func finishAfterError() -> Bool {
        if claim() { return true }  // failed before a connection was claimed
        return state.load(ordering: .acquiring) == Self.leased
    }
}
