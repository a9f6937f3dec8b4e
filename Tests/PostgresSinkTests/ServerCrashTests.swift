import Core
import Dispatch
import Foundation
import Logging
import PostgresNIO
import TestKit
import Testing

@testable import PostgresSink

#if canImport(Glibc)
    import Glibc
#endif

/// Kills the PostgreSQL server in the middle of a batch's transaction and starts it
/// again: the retried batch loses nothing and doubles nothing.
@Suite(.enabled(if: PrivateCluster.available, "needs PostgreSQL server binaries (scripts/test.sh installs them)"))
struct ServerCrashTests {
    @Test(.timeLimit(.minutes(5)))
    func serverKilledMidWriteThenRetriedBatchIsExact() async throws {
        let cluster = try await PrivateCluster.make("crash")
        do {
            try await crashAndRecover(cluster)
            await cluster.destroy()
        } catch {
            await cluster.destroy()
            throw error
        }
    }

    private func crashAndRecover(_ cluster: PrivateCluster) async throws {
        let logger = TestLedger.logger
        let schema = try #require(LedgerSchema("crash"))
        let database = LedgerDatabase(
            url: try cluster.databaseURL, options: PostgresConnectionOptions(poolSize: 4, connectTimeout: .seconds(2)),
            schema: schema, logger: logger)
        let db = TestLedger(database: database, schema: schema)
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
        let locker = LedgerDatabase(url: try cluster.databaseURL, logger: logger)
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
