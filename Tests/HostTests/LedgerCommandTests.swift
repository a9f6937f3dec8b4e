import Foundation
import TestKit
import Testing

/// `migrate`, `usage` and `run`'s preflight against a real PostgreSQL, as an
/// operator runs them: the ledger found from `--database-url` or from a postgres
/// sink of plugins.yaml, their output and their error texts word for word.
@Suite struct LedgerCommandTests {
    static let root = Repository.root

    /// The shipped xray fixture, priced with the shipped price book, into the
    /// postgres sink `ledger` (its URL in LEDGER_URL) and an audit.
    func config(dir: TemporaryDirectory) throws -> String {
        let yaml = """
            version: 1
            state: { store: postgres }
            sources:
              fixture: { type: file_replay, path: \(Self.root)/examples/fixtures/xray-snapshots.jsonl, format: xray_snapshots }
            rating: { price_book: \(Self.root)/examples/pricebook.yaml }
            sinks:
              ledger: { type: postgres, database_url_env: LEDGER_URL }
              audit: { type: jsonl_audit, path: audit }
            pipelines:
              main: { sources: [fixture], sinks: [audit, ledger] }
            """
        try yaml.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)
        return dir.file("plugins.yaml")
    }

    @Test(
        "migrate --check reports a new database behind (exit 1), migrate applies it all once, then it is current")
    func migrateAndCheck() async throws {
        try await TestDatabase.with("cli_migrate") { db in
            let before = try BillingServiceProcess.run(["migrate", "--check", "--database-url", db.url])
            #expect(before.status == 1, "\(before.stderr)")
            let prefix = "schema version 0; pending ["
            #expect(before.stdout.hasPrefix(prefix) && before.stdout.hasSuffix("]; unknown []\n"), "\(before.stdout)")
            let pending = before.stdout.dropFirst(prefix.count).prefix { $0 != "]" }
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(pending.count >= 3 && pending.first == "1", "\(before.stdout)")

            let applied = try BillingServiceProcess.run(["migrate", "--database-url", db.url])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout == "applied migrations \(pending.joined(separator: ", "))\n")
            let again = try BillingServiceProcess.run(["migrate", "--database-url", db.url])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout == "schema is current\n")
            // DATABASE_URL is the default of --database-url.
            let after = try BillingServiceProcess.run(["migrate", "--check"], environment: ["DATABASE_URL": db.url])
            #expect(after.status == 0, "\(after.stderr)")
            #expect(after.stdout == "schema version \(pending.last ?? ""); pending []; unknown []\n")
        }
    }

    @Test(
        "usage sums the ledger the run wrote, the same from --config and from --database-url")
    func usageFromConfigAndURL() async throws {
        let dir = try TemporaryDirectory("billing-cli-usage")
        defer { dir.remove() }
        try await TestDatabase.with("cli_usage") { db in
            let file = try config(dir: dir)
            let migrated = try BillingServiceProcess.run(
                ["migrate", "--config", file], environment: ["LEDGER_URL": db.url])
            try #require(migrated.status == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.hasPrefix("applied migrations 1, "), "\(migrated.stdout)")
            let run = try BillingServiceProcess.run(["run", "--config", file], environment: ["LEDGER_URL": db.url])
            try #require(run.status == 0, "\(run.stderr)")

            let period = ["--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--granularity", "month"]
            let fromConfig = try BillingServiceProcess.run(
                ["usage", "--config", file, "--sink", "ledger", "--format", "csv"] + period,
                environment: ["LEDGER_URL": db.url])
            #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
            let fromURL = try BillingServiceProcess.run(
                ["usage", "--database-url", db.url, "--format", "csv"] + period)
            #expect(fromURL.status == 0, "\(fromURL.stderr)")
            #expect(fromConfig.stdout == fromURL.stdout)
            let lines = fromURL.stdout.split(separator: "\n")
            #expect(lines.first == "subject,metric,unit,period_start,quantity,amount,currency", "\(fromURL.stdout)")
            #expect(lines.count > 1, "\(fromURL.stdout)")
            // Every row is of the month asked for, and the quantities add up to what the ledger holds.
            var total: UInt64 = 0
            for line in lines.dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                try #require(fields.count == 7, "\(line)")
                #expect(fields[3] == "2026-11-01T00:00:00Z", "\(line)")
                total += try #require(UInt64(fields[4]), "\(line)")
            }
            let ledger = try await db.query("SELECT sum(quantity) FROM billing.usage_facts")
            #expect("\(total)\n" == ledger)

            // One subject, one metric: a subset of the rows above.
            let one = try BillingServiceProcess.run(
                ["usage", "--database-url", db.url, "--format", "csv", "--subject", "nobody", "--metric", "none"] + period)
            #expect(one.status == 0, "\(one.stderr)")
            #expect(one.stdout == "subject,metric,unit,period_start,quantity,amount,currency\n")
        }
    }

    @Test(
        "--config without exactly one postgres sink, or with --sink naming none, exits 2 saying so")
    func configMustNameOneLedger() throws {
        let dir = try TemporaryDirectory("billing-cli-sinks")
        defer { dir.remove() }
        let two = dir.file("two.yaml")
        try """
        version: 1
        state: { store: file, path: state }
        sources:
          a: { type: file_replay, path: a.jsonl, format: xray_snapshots }
          b: { type: file_replay, path: b.jsonl, format: xray_snapshots }
        sinks:
          ledger: { type: postgres, database_url_env: LEDGER_URL }
          spare: { type: postgres, database_url_env: LEDGER_URL }
        pipelines:
          main: { sources: [a], sinks: [ledger] }
          other: { sources: [b], sinks: [spare] }
        """.write(toFile: two, atomically: true, encoding: .utf8)
        let environment = ["LEDGER_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"]
        let several = try BillingServiceProcess.run(["migrate", "--config", two], environment: environment)
        #expect(several.status == 2)
        #expect(several.stderr == "\(two): several postgres sinks; name one with --sink\n", "\(several.stderr)")
        let named = try BillingServiceProcess.run(
            ["migrate", "--config", two, "--sink", "nope"], environment: environment)
        #expect(named.status == 2)
        #expect(named.stderr == "\(two): no postgres sinks named nope; name one with --sink\n", "\(named.stderr)")

        let auditOnly = dir.file("audit.yaml")
        try """
        version: 1
        sources:
          fixture: { type: file_replay, path: f.jsonl, format: xray_snapshots }
        sinks:
          audit: { type: jsonl_audit, path: audit }
        pipelines:
          main: { sources: [fixture], sinks: [audit] }
        """.write(toFile: auditOnly, atomically: true, encoding: .utf8)
        let none = try BillingServiceProcess.run([
            "usage", "--config", auditOnly, "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z",
        ])
        #expect(none.status == 2)
        #expect(none.stderr == "\(auditOnly): no postgres sinks; name one with --sink\n", "\(none.stderr)")

        // The sink's URL variable unset: named by the sink, exit 2.
        let unset = try BillingServiceProcess.run(
            ["migrate", "--config", try config(dir: dir)], environment: ["LEDGER_URL": ""])
        #expect(unset.status == 2)
        #expect(unset.stderr.hasPrefix("sinks.ledger: database URL: "), "\(unset.stderr)")
    }

    @Test("a missing or malformed database URL exits 2 saying what to give")
    func databaseURLMustBeGiven() throws {
        let none = try BillingServiceProcess.run(["migrate"], environment: ["DATABASE_URL": ""])
        #expect(none.status == 2)
        #expect(none.stderr == "give --database-url URL, --config FILE, or set DATABASE_URL\n")
        let malformed = try BillingServiceProcess.run([
            "usage", "--database-url", "mysql://x@y/z", "--from", "2026-11-01T00:00:00Z", "--to",
            "2026-12-01T00:00:00Z",
        ])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.hasPrefix("--database-url: invalid database URL: "), "\(malformed.stderr)")
        let backwards = try BillingServiceProcess.run([
            "usage", "--database-url", "postgres://x@y/z", "--from", "2026-12-01T00:00:00Z", "--to",
            "2026-11-01T00:00:00Z",
        ])
        #expect(backwards.status == 2)
        #expect(backwards.stderr == "--from must be before --to\n")
    }

    @Test(
        "a database the server does not have fails migrate and run at once (exit 1), naming the component")
    func unknownDatabaseIsRefusedAtOnce() throws {
        let dir = try TemporaryDirectory("billing-cli-refused")
        defer { dir.remove() }
        let admin = try TestDatabase.serverURL()
        var components = try #require(URLComponents(string: admin))
        components.path = "/no_such_database_\(UUID().uuidString.prefix(8).lowercased())"
        let url = try #require(components.string)

        let migrate = try BillingServiceProcess.run(["migrate", "--database-url", url])
        #expect(migrate.status == 1)
        #expect(migrate.stderr.hasPrefix("migrate: database: "), "\(migrate.stderr)")
        #expect(migrate.stderr.contains("3D000"), "\(migrate.stderr)")

        let run = try BillingServiceProcess.run(
            ["run", "--config", try config(dir: dir)], environment: ["LEDGER_URL": url])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("sinks.ledger: "), "\(run.stderr)")
        #expect(run.stderr.contains("3D000"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("audit")))
    }
}
