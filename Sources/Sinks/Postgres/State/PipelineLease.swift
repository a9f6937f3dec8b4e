public import Core
import Crypto
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The advisory lock key of one pipeline in one ledger schema (docs/schema.md).
///
/// Exists so every process derives the same 64-bit key from the same names:
/// the first 8 bytes, big-endian, of SHA-256 of `pipeline-lease:<schema>/<pipeline>`
/// as a signed bigint. `pg_locks` shows it as `classid` (high 32 bits) and
/// `objid` (low 32 bits) with `objsubid` 1.
public struct PipelineLeaseKey: Sendable, Hashable {
    public let value: Int64

    public init(schema: LedgerSchema, pipeline: String) {
        let digest = Array(SHA256.hash(data: Array("pipeline-lease:\(schema.name)/\(pipeline)".utf8)))
        var bits: UInt64 = 0
        for byte in digest.prefix(8) { bits = bits << 8 | UInt64(byte) }
        value = Int64(bitPattern: bits)
    }

    var classID: Int64 { Int64(UInt64(bitPattern: value) >> 32) }
    var objectID: Int64 { Int64(UInt64(bitPattern: value) & 0xFFFF_FFFF) }
}

/// A session-level advisory lock on one pipeline, held on a dedicated
/// connection for as long as this process writes the pipeline.
///
/// Exists because two processes metering one pipeline from their own
/// in-memory baselines bill the same usage twice. The lock lives as long as
/// its connection: a heartbeat checks every second that the session still
/// holds it, and a closed connection, a failed or late heartbeat or a missing
/// lock marks the lease lost at once (the server may already have given the
/// lock to another process).
public final class PostgresPipelineLease: PipelineLease {
    public let pipeline: String
    public let key: PipelineLeaseKey
    private let connection: PostgresConnection
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var reason: String?
        var waiters: [CheckedContinuation<String, Never>] = []
        var heartbeat: Task<Void, Never>?
    }

    /// How often the lock connection is checked, and how long a check may take.
    static let heartbeatInterval: Duration = .seconds(1)
    static let heartbeatTimeout: Duration = .seconds(3)

    private init(pipeline: String, key: PipelineLeaseKey, connection: PostgresConnection, logger: Logger) {
        self.pipeline = pipeline
        self.key = key
        self.connection = connection
        self.logger = logger
    }

    /// Tries once to take `pipeline`'s lock in `database`'s schema: first looks
    /// for a holder through the pool (no new connection while one is held),
    /// then tries the lock on a new dedicated connection.
    public static func claim(pipeline: String, database: LedgerDatabase, component: String) async throws
        -> PipelineClaim
    {
        let key = PipelineLeaseKey(schema: database.schema, pipeline: pipeline)
        let doing = "taking the lock of pipeline \(pipeline)"
        let logger = database.logger
        let known: PipelineHolder?
        do {
            known = try await database.withConnection(component: component) { connection in
                try await holder(of: key, on: connection, logger: logger)
            }
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: component, doing: doing)
        }
        if let known { return .heldElsewhere(known) }

        let connection: PostgresConnection
        do {
            var configuration = try database.url.connectionConfiguration(
                connectTimeout: database.options.connectTimeout)
            configuration.options.additionalStartupParameters = [
                ("application_name", ConnectionIdentity.applicationName)
            ]
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw PostgresErrorMapping.pluginError(error, component: component, doing: doing)
        }
        let attempt = await Deadline.run(within: database.options.connectTimeout) {
            () -> PipelineHolder? in
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(\(key.value))", logger: logger)
            var taken = false
            for try await locked in rows.decode(Bool.self) { taken = locked }
            if taken { return nil }
            return try await holder(of: key, on: connection, logger: logger)
                ?? PipelineHolder(application: nil, session: nil, client: nil, since: nil)
        }
        switch attempt {
        case .finished(.success(nil)):
            let lease = PostgresPipelineLease(pipeline: pipeline, key: key, connection: connection, logger: logger)
            lease.startWatching()
            logger.info(
                "took the pipeline's lock", metadata: ["pipeline": "\(pipeline)", "lock_key": "\(key.value)"])
            return .taken(lease)
        case .finished(.success(let holder?)):
            try? await connection.close()
            return .heldElsewhere(holder)
        case .finished(.failure(let error)):
            try? await connection.close()
            throw PostgresErrorMapping.pluginError(error, component: component, doing: doing)
        case .timedOut:
            try? await connection.close()
            throw PluginError(
                .retryable, component: component,
                "\(doing): no answer within \(database.options.connectTimeout)")
        }
    }

    /// The session holding `key` in the current database, from `pg_locks` and `pg_stat_activity`.
    static func holder(of key: PipelineLeaseKey, on connection: PostgresConnection, logger: Logger) async throws
        -> PipelineHolder?
    {
        let rows = try await connection.query(
            """
            SELECT l.pid, a.application_name, host(a.client_addr),
                   (extract(epoch FROM a.backend_start) * 1000000)::bigint
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = \(key.classID) AND l.objid::bigint = \(key.objectID)
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1
            """, logger: logger)
        for try await (pid, application, client, micros) in rows.decode((Int32?, String?, String?, Int64?).self) {
            let since = micros.flatMap { value -> Timestamp? in
                let (nanos, overflow) = value.multipliedReportingOverflow(by: 1000)
                return overflow ? nil : Timestamp(nanosecondsSinceEpoch: nanos)
            }
            return PipelineHolder(application: application, session: pid.map { "\($0)" }, client: client, since: since)
        }
        return nil
    }

    public var isHeld: Bool { state.withLock { $0.reason == nil } }

    public func lost() async -> String {
        await withCheckedContinuation { continuation in
            let reason = state.withLock { current -> String? in
                if current.reason == nil { current.waiters.append(continuation) }
                return current.reason
            }
            if let reason { continuation.resume(returning: reason) }
        }
    }

    public func release() async {
        guard end("released") else { return }
        let key = self.key
        let connection = self.connection
        let logger = self.logger
        _ = await Deadline.run(within: Self.heartbeatTimeout) {
            _ = try await connection.query("SELECT pg_advisory_unlock(\(key.value))", logger: logger)
        }
        try? await connection.close()
    }

    /// Marks the lease over with `reason` and wakes every waiter; false if it already was.
    @discardableResult
    private func end(_ reason: String) -> Bool {
        let (ended, waiters, heartbeat) = state.withLock {
            current -> (Bool, [CheckedContinuation<String, Never>], Task<Void, Never>?) in
            guard current.reason == nil else { return (false, [], nil) }
            current.reason = reason
            defer {
                current.waiters = []
                current.heartbeat = nil
            }
            return (true, current.waiters, current.heartbeat)
        }
        heartbeat?.cancel()
        for waiter in waiters { waiter.resume(returning: reason) }
        return ended
    }

    /// Loses the lease when the connection closes or a heartbeat fails, and then closes the connection.
    private func startWatching() {
        connection.closeFuture.whenComplete { [self] _ in
            if end("the lock connection closed") {
                logger.error("lost the pipeline's lock: its connection closed", metadata: ["pipeline": "\(pipeline)"])
            }
        }
        let task = Task { [self] in
            while isHeld {
                guard (try? await Task.sleep(for: Self.heartbeatInterval)) != nil else { return }
                guard let problem = await heartbeat() else { continue }
                if end(problem) {
                    logger.error(
                        "lost the pipeline's lock", metadata: ["pipeline": "\(pipeline)", "why": "\(problem)"])
                }
                try? await connection.close()
                return
            }
        }
        let over = state.withLock { current -> Bool in
            guard current.reason == nil else { return true }
            current.heartbeat = task
            return false
        }
        if over { task.cancel() }
    }

    /// Nil when the session still holds the lock; otherwise why not.
    private func heartbeat() async -> String? {
        let key = self.key
        let connection = self.connection
        let logger = self.logger
        let check = await Deadline.run(within: Self.heartbeatTimeout) { () -> Bool in
            let rows = try await connection.query(
                """
                SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted
                  AND objsubid = 1 AND classid::bigint = \(key.classID) AND objid::bigint = \(key.objectID)
                """, logger: logger)
            var count: Int64 = 0
            for try await value in rows.decode(Int64.self) { count = value }
            return count > 0
        }
        switch check {
        case .finished(.success(true)): return nil
        case .finished(.success(false)): return "the lock connection's session no longer holds the lock"
        case .finished(.failure(let error)): return "the lock connection failed: \(error)"
        case .timedOut: return "the lock connection did not answer within \(Self.heartbeatTimeout)"
        }
    }
}

extension PostgresSink: PipelineOwnership {
    /// The database (without its password) and the ledger schema.
    public var ownershipScope: String {
        ((try? database().url.description) ?? "sink \(id)") + " schema \(schema.name)"
    }

    /// Takes `pipeline`'s advisory lock in this sink's database (docs/schema.md).
    public func claim(pipeline: String) async throws -> PipelineClaim {
        let database: LedgerDatabase
        do {
            database = try self.database()
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError(.permanent, component: "sinks.\(id)", "\(error)")
        }
        return try await PostgresPipelineLease.claim(pipeline: pipeline, database: database, component: "sinks.\(id)")
    }
}
