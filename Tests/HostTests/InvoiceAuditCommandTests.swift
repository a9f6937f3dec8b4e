import Foundation
import TestKit
import Testing

/// The `invoicing:` section, the invoicing audit trail, `invoice verify` and
/// `kill -9` during a run and a finalization, through the real binary against
/// a real PostgreSQL.
@Suite(.serialized) struct InvoiceAuditCommandTests {
    static let root = Repository.root

    /// plugins.yaml with a usage trail in the pipeline and an invoicing trail of its own.
    func config(_ dir: TemporaryDirectory, source: String, invoicing: String? = nil) throws -> String {
        let section =
            invoicing
            ?? [
                "  period: month", "  customers: \(dir.file("customers.yaml"))", "  number_prefix: \"ACME-{year}-\"",
                "  settle_delay: 90s", "  audit_sink: invoice_audit",
            ].joined(separator: "\n")
        // The section's first line is line 13.
        let yaml =
            [
                "version: 1",
                "state: { store: postgres }",
                "sources:",
                "  main_source: \(source)",
                "rating: { price_book: \(Self.root)/examples/pricebook.yaml }",
                "sinks:",
                "  ledger: { type: postgres, database_url_env: LEDGER_URL }",
                "  audit: { type: jsonl_audit, path: \(dir.file("usage-audit")), fsync: false }",
                "  invoice_audit: { type: jsonl_audit, path: \(dir.file("invoice-audit")) }",
                "pipelines:",
                "  main: { sources: [main_source], sinks: [audit, ledger] }",
                "invoicing:",
                section,
            ].joined(separator: "\n") + "\n"
        try "customers:\n  acct-none: { name: Nobody }\n".write(
            toFile: dir.file("customers.yaml"), atomically: true, encoding: .utf8)
        let path = dir.file("plugins.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let fixture =
        "{ type: file_replay, path: \(root)/examples/fixtures/xray-snapshots.jsonl, format: xray_snapshots }"

    func cli(_ arguments: [String], _ database: TestDatabase) throws -> BillingServiceProcess.Result {
        try BillingServiceProcess.run(arguments, environment: ["LEDGER_URL": database.url])
    }

    func fill(_ config: String, _ database: TestDatabase) throws {
        let migrated = try cli(["migrate", "--config", config], database)
        try #require(migrated.status == 0, "\(migrated.stderr)")
        let ran = try cli(["run", "--config", config], database)
        try #require(ran.status == 0, "\(ran.stderr)")
    }

    func count(_ database: TestDatabase, _ sql: String) async throws -> Int {
        Int(try await database.query(sql).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func finalizedInvoicesAreInTheInvoiceTrailAndVerifyAgainstTheUsageTrail() async throws {
        let dir = try TemporaryDirectory("billing-invoice-audit")
        defer { dir.remove() }
        try await TestDatabase.with("invoice_audit_cli") { database in
            let config = try config(dir, source: Self.fixture)
            try fill(config, database)
            let ran = try cli(["invoice", "run", "--config", config, "--period", "2026-11"], database)
            try #require(ran.status == 0, "\(ran.stderr)")
            let finalized = try cli(
                ["invoice", "finalize", "--config", config, "--period", "2026-11", "--force", "--reason", "fixture"],
                database)
            try #require(finalized.status == 0, "\(finalized.stderr)")
            let numbers = finalized.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last }
            #expect(numbers.count >= 2)
            #expect(numbers.first.map { $0.hasPrefix("ACME-") && $0.hasSuffix("-000001") } == true)

            let verified = try cli(["audit", "verify", dir.file("invoice-audit")], database)
            try #require(verified.status == 0, "\(verified.stderr)")
            #expect(verified.stdout.contains("invoiceLines: \(numbers.count)"), "\(verified.stdout)")

            let list = try cli(["invoice", "list", "--config", config, "--format", "json"], database)
            let invoices = try #require(
                try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            let id = try #require(invoices.first?["id"] as? String)
            let audit = try #require(invoices.first?["audit"] as? [String: Any])
            #expect((audit["seq"] as? Int ?? 0) > 1)

            let ok = try cli(
                ["invoice", "verify", "--config", config, id, "--audit", dir.file("usage-audit")], database)
            try #require(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.hasPrefix("ok: invoice \(id)"))
            #expect(ok.stdout.contains("through seq \(audit["seq"] as? Int ?? 0)"))

            // Another price book gives other amounts: verify names the lines and exits 1.
            let book = try String(contentsOfFile: "\(Self.root)/examples/pricebook.yaml", encoding: .utf8)
            let dearer = book.replacingOccurrences(of: "unit_price: \"", with: "unit_price: \"9")
            try dearer.write(toFile: dir.file("dearer.yaml"), atomically: true, encoding: .utf8)
            #expect(dearer != book)
            let wrong = try cli(
                [
                    "invoice", "verify", "--config", config, id, "--audit", dir.file("usage-audit"), "--price-book",
                    dir.file("dearer.yaml"),
                ], database)
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("does not match"))
            #expect(wrong.stderr.contains("line 1:"))

            // The database URL alone (and a price book) reaches the same invoices.
            let byURL = try cli(
                [
                    "invoice", "list", "--database-url", database.url, "--price-book",
                    "\(Self.root)/examples/pricebook.yaml", "--status", "finalized",
                ], database)
            try #require(byURL.status == 0, "\(byURL.stderr)")
            #expect(byURL.stdout.contains(id))

            // A changed invoice row no longer matches the hash its finalization line recorded.
            try await TestDatabase.psql(
                database.url,
                "ALTER TABLE billing.invoices DISABLE TRIGGER invoices_guard; "
                    + "UPDATE billing.invoices SET content = replace(content, '\"forced_reason\":\"fixture\"', "
                    + "'\"forced_reason\":\"edited\"') WHERE invoice_id = '\(id)'")
            let tampered = try cli(
                ["invoice", "verify", "--config", config, id, "--audit", dir.file("usage-audit")], database)
            #expect(tampered.status == 1)
            #expect(tampered.stderr.contains("records content hash"), "\(tampered.stderr)")
        }
    }

    @Test func badInvoicingSettingsAreNamedWithTheirPathAndLine() async throws {
        let dir = try TemporaryDirectory("billing-invoicing-config")
        defer { dir.remove() }
        let cases: [(String, String)] = [
            ("  audit_sink: audit", "invoicing.audit_sink (line 13): sink \"audit\" is written by pipeline \"main\""),
            ("  audit_sink: ledger", "invoicing.audit_sink (line 13): sink \"ledger\" cannot record invoices"),
            ("  period: week", "invoicing.period (line 13): unknown value \"week\""),
            ("  colour: red", "invoicing.colour (line 13): unknown key"),
            ("  settle_delay: soon", "invoicing.settle_delay (line 13)"),
            ("  usage_audit_sink: invoice_audit", "invoicing.usage_audit_sink (line 13): \"invoice_audit\" is not"),
        ]
        for (line, message) in cases {
            let config = try config(dir, source: Self.fixture, invoicing: line)
            let result = try BillingServiceProcess.run(["validate", "--config", config])
            #expect(result.status == 2, "\(line)")
            #expect(result.stderr.contains(message), "\(line): \(result.stderr)")
        }
        let yaml = try String(contentsOfFile: try config(dir, source: Self.fixture), encoding: .utf8)
        try (yaml + "\nservice:\n  invoicing: { schedule: \"61 0 1 * *\", finalize: sometimes }\n").write(
            toFile: dir.file("service.yaml"), atomically: true, encoding: .utf8)
        let service = try BillingServiceProcess.run(["validate", "--config", dir.file("service.yaml")])
        #expect(service.status == 2)
        #expect(service.stderr.contains("service.invoicing.schedule"))
        #expect(service.stderr.contains("minute field \"61\": values must be within 0-59"))
        #expect(service.stderr.contains("service.invoicing.finalize"))
    }

    /// kill -9 at random moments of `invoice run` and of `invoice finalize --period`:
    /// a run writes all its drafts or none; numbers stay gapless; every
    /// finalization reaches the invoice trail once after the rerun.
    @Test func killDuringARunOrAFinalizationLeavesNoHalfInvoiceAndNoUsedNumber() async throws {
        let dir = try TemporaryDirectory("billing-invoice-kill")
        defer { dir.remove() }
        try await TestDatabase.with("invoice_kill") { database in
            let generator = """
                { type: generator, seed: 7, subjects: 300, nodes: 1, families: [xray], start: "2026-11-03T00:00:00Z", interval: 10m, duration: 40m, max_future_skew: none, max_age: none, initial_sync: bill_from_zero }
                """
            let config = try config(dir, source: generator)
            try fill(config, database)
            let invoices = "SELECT count(*) FROM billing.invoices"
            let env = ["LEDGER_URL": database.url]

            // A run is one transaction: killed at any moment, it leaves every draft or none.
            var kills = 0
            for delay in [100_000, 250_000, 500_000] as [useconds_t] {
                let started = DispatchTime.now().uptimeNanoseconds
                let finished = try BillingServiceProcess.runAndKill(
                    ["invoice", "run", "--config", config, "--period", "2026-11"], environment: env
                ) { DispatchTime.now().uptimeNanoseconds - started > UInt64(delay) * 1000 }
                let written = try await count(database, invoices)
                #expect(written == 0 || written == 300, "after a kill at \(delay) µs: \(written) drafts")
                if !finished { kills += 1 }
                if written == 300 { break }
            }
            let rerun = try cli(["invoice", "run", "--config", config, "--period", "2026-11"], database)
            try #require(rerun.status == 0, "\(rerun.stderr)")
            #expect(try await count(database, invoices) == 300)
            #expect(kills >= 1, "no run was killed")

            // Finalizations: killed once some are done, every number used is on an invoice, none twice.
            let finalize = [
                "invoice", "finalize", "--config", config, "--period", "2026-11", "--force", "--reason", "k",
            ]
            let finalizedSQL = "SELECT count(*) FROM billing.invoices WHERE status = 'finalized'"
            let killed = try BillingServiceProcess.runAndKill(finalize, environment: env) {
                (try? ChildProcess.run(executable: "/usr/bin/psql", ["-qAt", database.url, "-c", finalizedSQL]))
                    .flatMap { Int($0.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0 >= 20
            }
            #expect(!killed, "the finalization finished before it was killed")
            let partial = try await count(database, finalizedSQL)
            #expect(partial >= 20 && partial < 300)
            let counter = try await count(
                database, "SELECT coalesce(max(last_value), 0) FROM billing.invoice_number_counters")
            #expect(counter == partial, "a killed finalization used a number no invoice has")
            #expect(
                try await count(
                    database, "SELECT count(DISTINCT number_value) FROM billing.invoices WHERE number IS NOT NULL")
                    == partial)

            let finished = try cli(finalize, database)
            try #require(finished.status == 0, "\(finished.stderr)")
            #expect(try await count(database, finalizedSQL) == 300)
            #expect(
                try await count(
                    database,
                    "SELECT count(*) FROM billing.invoices WHERE number_value BETWEEN 1 AND 300 AND number IS NOT NULL")
                    == 300)
            #expect(
                try await count(database, "SELECT count(*) FROM billing.invoice_audit_events WHERE audit_seq IS NULL")
                    == 0)
            let verified = try cli(["audit", "verify", dir.file("invoice-audit")], database)
            try #require(verified.status == 0, "\(verified.stderr)")
            #expect(verified.stdout.contains("invoiceLines: 300"), "\(verified.stdout)")
        }
    }
}
