import Core
import Foundation
import Logging
import PostgresNIO
import TestKit
import Testing

@testable import PostgresSink

/// Every database call has a deadline, and a refusal no retry can cure is
/// permanent (issue 12, items 6 and 7), against the real server.
@Suite("database deadlines and refusals")
struct DatabaseDeadlineTests {
    static let logger = TestLedger.logger

    /// The test server's URL with another user or database.
    static func url(user: String? = nil, database: String? = nil) throws -> DatabaseURL {
        var url = try TestLedger.url
        if let user { url.username = user }
        if let database { url.database = database }
        return url
    }

    /// A TCP port on 127.0.0.1 that nothing listens on.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("a statement that outlasts query_timeout fails retryable at the deadline, and the pool goes on")
    func queryDeadline() async throws {
        let database = LedgerDatabase(
            url: try Self.url(), options: PostgresConnectionOptions(poolSize: 1, queryTimeout: .seconds(1)),
            logger: Self.logger)
        defer { Task { await database.shutdown() } }
        let start = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await database.withConnection(component: "sinks.ledger") { connection in
                _ = try await connection.query("SELECT pg_sleep(20)", logger: Self.logger)
            }
        }
        let took = ContinuousClock.now - start
        // Well below the statement's 20 s (the margin is for a loaded two-core machine).
        #expect(took < .seconds(8), "\(took)")
        #expect(error?.isRetryable == true)
        #expect(error?.message.contains("query_timeout") == true, "\(String(describing: error))")
        // The stuck connection was closed and handed back: the one-connection pool serves the next call.
        let again = ContinuousClock.now
        try await database.ping(component: "sinks.ledger", within: .seconds(5))
        #expect(ContinuousClock.now - again < .seconds(3), "\(ContinuousClock.now - again)")
        await database.shutdown()
    }

    @Test("a cancelled call returns at once although its statement is still running")
    func cancellation() async throws {
        let database = LedgerDatabase(url: try Self.url(), logger: Self.logger)
        let call = Task {
            try await database.withTransaction(component: "sinks.ledger") { connection in
                _ = try await connection.query("SELECT pg_sleep(20)", logger: Self.logger)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        call.cancel()
        let result = await call.result
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(throws: CancellationError.self) { try result.get() }
        await database.shutdown()
    }

    @Test("a server that is down is a retryable error within the deadline, saying so")
    func serverDown() async throws {
        var url = try Self.url()
        url.host = "127.0.0.1"
        url.port = try Self.closedPort()
        url.socketDirectory = nil
        let database = LedgerDatabase(url: url, logger: Self.logger)
        let start = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await database.ping(component: "sinks.ledger", within: .milliseconds(500))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(error?.isRetryable == true)
        #expect(error?.message.contains("is the server up") == true, "\(String(describing: error))")
        // Nothing refused the credentials: a command goes on and waits for the server.
        try await database.requireAcceptance(component: "sinks.ledger", within: .seconds(1))
        await database.shutdown()
    }

    @Test(
        "a refused role or database is permanent, names the SQLSTATE, and is not retried",
        arguments: [
            (user: "no_such_role_h2" as String?, database: nil as String?, state: "28000"),
            (user: nil as String?, database: "no_such_database_h2" as String?, state: "3D000"),
        ])
    func refusal(user: String?, database name: String?, state: String) async throws {
        let database = LedgerDatabase(
            url: try Self.url(user: user, database: name),
            options: PostgresConnectionOptions(connectTimeout: .seconds(1)), logger: Self.logger)
        let start = ContinuousClock.now
        let early = await #expect(throws: PluginError.self) {
            try await database.requireAcceptance(component: "sinks.ledger", within: .seconds(2))
        }
        #expect(early?.isRetryable == false)
        #expect(early?.message.contains("SQLSTATE \(state)") == true, "\(String(describing: early))")
        #expect(early?.description.hasPrefix("sinks.ledger: ") == true)
        // Through the pool: the lease times out, and the cause is found, not "is the server up?".
        let pooled = await #expect(throws: PluginError.self) {
            try await database.ping(component: "sinks.ledger", within: .seconds(1))
        }
        #expect(pooled?.isRetryable == false)
        #expect(pooled?.message.contains("SQLSTATE \(state)") == true, "\(String(describing: pooled))")
        #expect(pooled?.message.contains("is the server up") == false)
        #expect(ContinuousClock.now - start < .seconds(8))
        await database.shutdown()
    }
}

/// A wrong password (SQLSTATE 28P01) needs a server that asks for one: a
/// private cluster switched from trust to scram-sha-256.
@Suite(
    "wrong database password",
    .enabled(if: PrivateCluster.available, "needs PostgreSQL server binaries (scripts/test.sh installs them)"))
struct WrongPasswordTests {
    @Test("a wrong password is a permanent refusal naming 28P01, found within the deadline")
    func wrongPassword() async throws {
        let cluster = try await PrivateCluster.make("deadline")
        do {
            try await check(cluster)
            await cluster.destroy()
        } catch {
            await cluster.destroy()
            throw error
        }
    }

    private func check(_ cluster: PrivateCluster) async throws {
        let logger = TestLedger.logger
        let admin = LedgerDatabase(url: try cluster.databaseURL, logger: logger)
        try await admin.withConnection(component: "test") { connection in
            _ = try await connection.query("ALTER ROLE billing PASSWORD 'right-horse-battery'", logger: logger)
        }
        await admin.shutdown()
        try "host all all 127.0.0.1/32 scram-sha-256\nlocal all all trust\n".write(
            toFile: cluster.directory + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        try await PrivateCluster.run("stop", cluster.directory)
        try await cluster.start()

        var wrong = try cluster.databaseURL
        wrong.password = "wrong-horse"
        let database = LedgerDatabase(
            url: wrong, options: PostgresConnectionOptions(connectTimeout: .seconds(1)), logger: logger)
        let early = await #expect(throws: PluginError.self) {
            try await database.requireAcceptance(component: "sinks.ledger", within: .seconds(2))
        }
        #expect(early?.isRetryable == false)
        #expect(early?.message.contains("SQLSTATE 28P01") == true, "\(String(describing: early))")
        #expect(early?.description.contains("wrong-horse") == false)
        let pooled = await #expect(throws: PluginError.self) {
            try await database.ping(component: "sinks.ledger", within: .seconds(1))
        }
        #expect(pooled?.isRetryable == false)
        #expect(pooled?.message.contains("SQLSTATE 28P01") == true, "\(String(describing: pooled))")
        await database.shutdown()

        var right = try cluster.databaseURL
        right.password = "right-horse-battery"
        let accepted = LedgerDatabase(url: right, logger: logger)
        try await accepted.requireAcceptance(component: "sinks.ledger", within: .seconds(2))
        try await accepted.ping(component: "sinks.ledger", within: .seconds(2))
        await accepted.shutdown()
    }
}
