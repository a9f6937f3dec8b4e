import Core
import Foundation
import Logging
import PostgresSink
import TestKit
import Testing

/// Issue 12, item 9: `run` of a pipeline whose ledger lock another process
/// holds exits 1 naming the holder, and writes nothing.
@Suite struct HeldPipelineTests {
    func config(dir: TemporaryDirectory) throws -> String {
        let time = Timestamp(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970) / 60 * 60 * 1_000_000_000)
            .rfc3339(fractionalDigits: .none)
        let line =
            #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":700,"downlink_bytes_total":5}]}"#
        try (line + "\n").write(toFile: dir.file("fixture.jsonl"), atomically: true, encoding: .utf8)
        let yaml = """
            version: 1
            state: { store: postgres }
            sources:
              fixture: { type: file_replay, path: fixture.jsonl, format: xray_snapshots, initial_sync: bill_from_zero }
            sinks:
              ledger: { type: postgres, database_url_env: LEDGER_URL }
            pipelines:
              main: { sources: [fixture], sinks: [ledger] }
            """
        try yaml.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)
        return dir.file("plugins.yaml")
    }

    @Test(
        "run of a pipeline another process holds exits 1 naming the holder and writes nothing")
    func runRefusesAHeldPipeline() async throws {
        let dir = try TemporaryDirectory("billing-held")
        defer { dir.remove() }
        try await TestDatabase.with("held_run") { db in
            let migrated = try BillingServiceProcess.run(["migrate", "--database-url", db.url])
            try #require(migrated.status == 0, "\(migrated.stderr)")
            let config = try config(dir: dir)

            // This test process takes the pipeline's lock as a daemon would.
            let database = LedgerDatabase(url: try DatabaseURL(parsing: db.url), logger: Logger(label: "test"))
            let sink = PostgresSink(id: "ledger", database: database)
            guard case .taken(let lease) = try await sink.claim(pipeline: "main") else {
                Issue.record("the lock of a fresh database was not free")
                await database.shutdown()
                return
            }
            let held = try BillingServiceProcess.run(["run", "--config", config], environment: ["LEDGER_URL": db.url])
            #expect(held.status == 1, "\(held.stderr)")
            #expect(held.stderr.contains("pipeline main is held by another process"), "\(held.stderr)")
            // The holder is named by its application_name (host and pid) and since when.
            #expect(held.stderr.contains("pid \(ProcessInfo.processInfo.processIdentifier)"), "\(held.stderr)")
            #expect(held.stderr.contains(ProcessInfo.processInfo.hostName), "\(held.stderr)")
            #expect(held.stderr.contains(" since 20"), "\(held.stderr)")
            #expect(try await db.query("SELECT count(*) FROM billing.usage_facts") == "0\n")

            // Once it is released, the same command runs and writes.
            await lease.release()
            let free = try BillingServiceProcess.run(["run", "--config", config], environment: ["LEDGER_URL": db.url])
            #expect(free.status == 0, "\(free.stderr)")
            #expect(try await db.query("SELECT sum(quantity) FROM billing.usage_facts") == "705\n")
            await database.shutdown()
        }
    }

    @Test(
        "a lease is lost at once when its connection is terminated, and another claim then takes it")
    func leaseLostWhenItsConnectionDrops() async throws {
        try await TestDatabase.with("held_lease") { db in
            let migrated = try BillingServiceProcess.run(["migrate", "--database-url", db.url])
            try #require(migrated.status == 0, "\(migrated.stderr)")
            let database = LedgerDatabase(url: try DatabaseURL(parsing: db.url), logger: Logger(label: "test"))
            defer { Task { await database.shutdown() } }
            let sink = PostgresSink(id: "ledger", database: database)
            guard case .taken(let first) = try await sink.claim(pipeline: "main") else {
                Issue.record("the lock of a fresh database was not free")
                return
            }
            // A second claim, as a second process would make it, sees the holder.
            guard case .heldElsewhere(let holder) = try await sink.claim(pipeline: "main") else {
                Issue.record("a held lock was taken twice")
                return
            }
            #expect(holder.application?.hasPrefix("billing-service ") == true, "\(holder)")
            #expect(holder.since != nil)
            // Another pipeline has its own lock.
            guard case .taken(let other) = try await sink.claim(pipeline: "other") else {
                Issue.record("another pipeline's lock was not free")
                return
            }
            await other.release()

            let key = PipelineLeaseKey(schema: .default, pipeline: "main").value
            // The key docs/schema.md tells operators to compute in SQL is the same.
            let documented = try await db.query(
                "SELECT ('x' || left(encode(sha256(convert_to('pipeline-lease:billing/main', 'UTF8')), 'hex'), 16))"
                    + "::bit(64)::bigint")
            #expect(documented == "\(key)\n")
            let terminated = try await db.query(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    + "AND ((classid::bigint << 32) | objid::bigint) = \(key)")
            #expect(terminated == "t\n")
            let start = ContinuousClock.now
            while first.isHeld, ContinuousClock.now - start < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!first.isHeld, "the lease outlived its connection")
            #expect(ContinuousClock.now - start < .seconds(3))
            guard case .taken(let second) = try await sink.claim(pipeline: "main") else {
                Issue.record("the lock was not free after its holder's connection ended")
                return
            }
            await second.release()
        }
    }
}
