import Foundation
import PostgresSink
import TestKit
import Testing

/// Issue 4's crash test: a generated scenario of over 200,000 observations
/// replayed into postgres + jsonl_audit with the state in PostgreSQL, SIGKILLed
/// at random moments and restarted, ends with exactly the ledger and audit of
/// an uninterrupted run.
@Suite(.serialized) struct PostgresCrashSafetyTests {
    static let root = Repository.root

    func config(name: String, dir: TemporaryDirectory) throws -> String {
        let yaml = """
            version: 1
            state: { store: postgres }
            sources:
              fixture: { type: file_replay, path: fixture.jsonl, format: xray_snapshots, batch_size: 4000 }
            rating: { price_book: \(Self.root)/examples/pricebook.yaml }
            sinks:
              ledger: { type: postgres, database_url_env: LEDGER_URL }
              audit: { type: jsonl_audit, path: \(name)/audit }
            pipelines:
              main: { sources: [fixture], sinks: [audit, ledger] }
            """
        try yaml.write(toFile: dir.file("\(name).yaml"), atomically: true, encoding: .utf8)
        return dir.file("\(name).yaml")
    }

    @Test
    func sigkillWithPostgresLosesAndDoublesNothing() async throws {
        let dir = try TemporaryDirectory("billing-pg-crash")
        defer { dir.remove() }
        let generator = """
            version: 1
            sources:
              synth: { type: generator, seed: 21, subjects: 700, nodes: 2, families: [xray], start: "2026-11-01T00:00:00Z",
                       interval: 1m, duration: 3h, counter_reset: "0.002", duplicate: "0.003", gap: "0.003" }
            sinks: { unused: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [synth], sinks: [unused] } }
            """
        try generator.write(toFile: dir.file("generate.yaml"), atomically: true, encoding: .utf8)
        let generated = try BillingServiceProcess.run([
            "generate", "--config", dir.file("generate.yaml"), "--source", "synth", "--out", dir.file("fixture.jsonl"),
        ])
        try #require(generated.status == 0, "\(generated.stderr)")

        try await TestDatabase.with("crash_clean") { clean in
            try await TestDatabase.with("crash_killed") { killed in
                try await compareCleanAndKilledRuns(clean: clean, killed: killed, dir: dir)
            }
        }
    }

    /// Runs the fixture once uninterrupted into `clean` and with SIGKILLs into `killed`, and compares.
    func compareCleanAndKilledRuns(clean: TestDatabase, killed: TestDatabase, dir: TemporaryDirectory) async throws {
        for db in [clean, killed] {
            let migrated = try BillingServiceProcess.run(["migrate", "--database-url", db.url])
            try #require(migrated.status == 0, "\(migrated.stderr)")
        }

        let cleanRun = try BillingServiceProcess.run(
            ["run", "--config", try config(name: "clean", dir: dir)], environment: ["LEDGER_URL": clean.url])
        try #require(cleanRun.status == 0, "\(cleanRun.stderr)")

        let killedConfig = try config(name: "killed", dir: dir)
        var kills = 0
        var finished = false
        var attempts = 0
        let schedule = CrashSchedule(
            auditDirectory: dir.file("killed/audit"), cleanAuditDirectory: dir.file("clean/audit"))
        while !finished, kills < 6, attempts < 40 {
            attempts += 1
            finished = try BillingServiceProcess.runAndKill(
                ["run", "--config", killedConfig], environment: ["LEDGER_URL": killed.url], when: schedule.nextKill())
            if !finished { kills += 1 }
        }
        if !finished {
            let last = try BillingServiceProcess.run(
                ["run", "--config", killedConfig], environment: ["LEDGER_URL": killed.url])
            try #require(last.status == 0, "\(last.stderr)")
        }
        #expect(kills >= 5, "killed only \(kills) times")

        let factsSQL = "SELECT fact_id, quantity, amount, flags FROM billing.usage_facts ORDER BY fact_id"
        let expectedFacts = try await clean.query(factsSQL)
        let actualFacts = try await killed.query(factsSQL)
        #expect(expectedFacts.split(separator: "\n").count > 200_000)
        #expect(actualFacts == expectedFacts)
        #expect(try await killed.query("SELECT count(*) - count(DISTINCT fact_id) FROM billing.usage_facts") == "0\n")
        let totalsMismatch = LedgerSchema.default.totalsMismatchQuery
        #expect(try await killed.query(totalsMismatch) == "0\n")

        let verify = try BillingServiceProcess.run(["audit", "verify", dir.file("killed/audit")])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(
            try AuditContent.usageLines(directory: dir.file("killed/audit"))
                == AuditContent.usageLines(directory: dir.file("clean/audit")))
    }
}
