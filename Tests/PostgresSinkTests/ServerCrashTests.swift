import Core
import Dispatch
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import PostgresSink

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL cluster (scripts/pg-server.sh) this test may crash and restart
/// without disturbing the server the other tests share.
struct PrivateCluster {
    let directory: String
    let port: Int

    static var script: String {
        if let path = ProcessInfo.processInfo.environment["BILLING_TEST_PGSERVER"] { return path }
        // Tests/PostgresSinkTests/ServerCrashTests.swift -> repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("scripts/pg-server.sh").path
    }

    static var available: Bool {
        let bin = ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb")
            && FileManager.default.isExecutableFile(atPath: script)
    }

    static func make() async throws -> PrivateCluster {
        let directory = "/tmp/billing-crash-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await run("init", directory)
        let port = try #require(
            Int(output.trimmingCharacters(in: .whitespacesAndNewlines)), "pg-server.sh init printed \(output)")
        return PrivateCluster(directory: directory, port: port)
    }

    var url: DatabaseURL {
        get throws { try DatabaseURL(parsing: "postgres://billing@127.0.0.1:\(port)/postgres?sslmode=disable") }
    }

    func crash() async throws { try await Self.run("crash", directory) }
    func start() async throws { try await Self.run("start", directory) }
    func destroy() async { _ = try? await Self.run("destroy", directory) }

    /// Runs the script with posix_spawn and reaps it with waitpid on a dispatch
    /// thread: Foundation's `Process` never saw these children exit inside the test
    /// process (they stayed zombies), and blocking a concurrency thread starves the pool.
    @discardableResult
    static func run(_ action: String, _ directory: String) async throws -> String {
        let outputPath = NSTemporaryDirectory() + "pg-server-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let arguments = ["/bin/bash", script, action, directory]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ)
        try #require(spawned == 0, "posix_spawn failed: \(spawned)")
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var raw: Int32 = 0
                while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
                // WEXITSTATUS: bits 8-15 when the child exited normally (low 7 bits zero).
                continuation.resume(returning: raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }
        }
        try #require(status == 0, "pg-server.sh \(action) \(directory) exited with \(status)")
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }
}

/// Kills the PostgreSQL server in the middle of a batch's transaction and starts it
/// again: the retried batch loses nothing and doubles nothing.
@Suite(.enabled(if: PrivateCluster.available, "needs PostgreSQL server binaries (scripts/test.sh installs them)"))
struct ServerCrashTests {
    @Test(.timeLimit(.minutes(5)))
    func serverKilledMidWriteThenRetriedBatchIsExact() async throws {
        let cluster = try await PrivateCluster.make()
        do {
            try await crashAndRecover(cluster)
            await cluster.destroy()
        } catch {
            await cluster.destroy()
            throw error
        }
    }

    private func crashAndRecover(_ cluster: PrivateCluster) async throws {
        let logger = TestDatabase.logger
        let schema = try #require(LedgerSchema("crash"))
        let database = LedgerDatabase(
            url: try cluster.url, options: PostgresConnectionOptions(poolSize: 4, connectTimeout: .seconds(2)),
            schema: schema, logger: logger)
        let db = TestDatabase(database: database, schema: schema)
        try await Migrator(database: database, schema: schema).migrate(now: db.now)
        let sink = PostgresSink(id: "ledger", database: database)
        let store = try sink.stateStore(forPipeline: "main")
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)

        progress("migrated")
        let first = Fixtures.batch(Fixtures.grid(subjects: 50, minutes: 20), sequence: 1, cursor: #"{"offset":1}"#)
        try await sink.write(first)
        // Batch 2 overlaps batch 1 (a replay of some facts) and adds new ones.
        let second = Fixtures.batch(
            Array(first.facts.prefix(300)) + Fixtures.grid(subjects: 50, minutes: 40).suffix(1_000), sequence: 2,
            cursor: #"{"offset":2}"#)

        // Hold a lock on minute_totals so batch 2 stops inside its transaction, after
        // its facts went in, and kill the server right there.
        progress("batch 1 written")
        let locker = LedgerDatabase(url: try cluster.url, logger: logger)
        let locked = Task {
            try await locker.withTransaction(component: "locker") { connection in
                try await connection.query(
                    "LOCK TABLE crash.minute_totals IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                try await Task.sleep(for: .seconds(120))
            }
        }
        try await waitUntil("the locker holds the lock") {
            try await db.integer(
                "SELECT count(*) FROM pg_locks WHERE relation = 'crash.minute_totals'::regclass AND granted AND mode = 'ShareRowExclusiveLock'"
            )
                == 1
        }
        progress("lock held")
        let writing = Task { try await sink.write(second) }
        try await waitUntil("batch 2 waits for the lock mid-transaction") {
            try await db.integer(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%new_facts%'")
                == 1
        }
        progress("batch 2 waits for the lock")
        try await cluster.crash()

        progress("server crashed")
        let failure = await #expect(throws: PluginError.self) { try await writing.value }
        #expect(failure?.kind == .retryable, "\(String(describing: failure))")
        progress("batch 2 failed")
        // The locker's connection died with the server; it is not awaited here
        // (see the report: awaiting its cancelled transaction did not return).
        locked.cancel()

        progress("locker closed")
        // While the server is down: a retryable error after the connect timeout, never a hang.
        let down = await #expect(throws: PluginError.self) { try await sink.write(second) }
        #expect(down?.kind == .retryable)

        progress("write while down failed")
        try await cluster.start()
        // The host's retry loop: retry the same batch until it goes through.
        var attempts = 0
        while true {
            attempts += 1
            do {
                try await sink.write(second)
                break
            } catch let error as PluginError where error.kind == .retryable && attempts < 60 {
                try await Task.sleep(for: .seconds(1))
            }
        }

        progress("retried batch 2 went through")
        let expectedIDs = Set(first.facts.map(\.id)).union(second.facts.map(\.id))
        #expect(try await db.integer("SELECT count(*) FROM crash.usage_facts") == Int64(expectedIDs.count))
        #expect(
            try await db.integer("SELECT count(DISTINCT fact_id) FROM crash.usage_facts") == Int64(expectedIDs.count))
        #expect(try await db.totalsMismatches() == 0)
        let expectedSum = Dictionary(grouping: first.facts + second.facts, by: \.id).values
            .reduce(UInt64(0)) { $0 + ($1.first?.quantity ?? 0) }
        #expect(try await db.strings("SELECT sum(quantity)::text FROM crash.minute_totals") == ["\(expectedSum)"])
        #expect(
            try await db.strings("SELECT concat_ws('|', sequence, fact_count) FROM crash.batch_log ORDER BY sequence")
                == ["1|1000", "2|1300"])
        let state = try await store.load(pipeline: "main")
        #expect(state.lastCommittedSequence == 2)
        #expect(state.sources["edge"]?.cursor?.json == #"{"offset":2}"#)

        // And once more for good measure: a replay after recovery changes nothing.
        let before = try await db.snapshot()
        try await sink.write(second)
        #expect(try await db.snapshot() == before)
        await database.shutdown()
    }

    /// Progress appended to $BILLING_TEST_PROGRESS (when set), so a hang shows where it is:
    /// swift test buffers the test process's own output.
    private func progress(_ step: String) {
        guard let path = ProcessInfo.processInfo.environment["BILLING_TEST_PROGRESS"],
            let handle = FileHandle(forWritingAtPath: path)
        else { return }
        handle.seekToEndOfFile()
        handle.write(Data("ServerCrashTests: \(step)\n".utf8))
        try? handle.close()
    }

    private func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<200 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }
}
