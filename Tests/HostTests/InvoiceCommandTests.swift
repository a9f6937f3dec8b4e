import Foundation
import TestKit
import Testing

/// `billing-service invoice …` and `activity import` run as the real binary
/// against a real PostgreSQL, on a ledger the real `run` command filled.
@Suite(.serialized) struct InvoiceCommandTests {
    static let root = Repository.root

    /// A config whose postgres sink is a database of its own, filled from the xray fixture.
    func prepare(_ dir: TemporaryDirectory, database: TestDatabase) throws -> String {
        let yaml = """
            version: 1
            state: { store: postgres }
            sources:
              fixture: { type: file_replay, path: \(Self.root)/examples/fixtures/xray-snapshots.jsonl, format: xray_snapshots }
            rating: { price_book: \(Self.root)/examples/pricebook.yaml }
            sinks:
              ledger: { type: postgres, database_url_env: LEDGER_URL }
            pipelines:
              main: { sources: [fixture], sinks: [ledger] }
            """
        let config = dir.file("plugins.yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let env = ["LEDGER_URL": database.url]
        let migrated = try BillingServiceProcess.run(["migrate", "--config", config], environment: env)
        try #require(migrated.status == 0, "\(migrated.stderr)")
        let ran = try BillingServiceProcess.run(["run", "--config", config], environment: env)
        try #require(ran.status == 0, "\(ran.stderr)")
        return config
    }

    func invoice(_ arguments: [String], _ database: TestDatabase) throws -> BillingServiceProcess.Result {
        try BillingServiceProcess.run(["invoice"] + arguments, environment: ["LEDGER_URL": database.url])
    }

    func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func runListShowFinalizeVoidThroughTheBinary() async throws {
        let dir = try TemporaryDirectory("billing-invoice-cli")
        defer { dir.remove() }
        try await TestDatabase.with("invoice_cli") { database in
            let config = try prepare(dir, database: database)

            let first = try invoice(["run", "--config", config, "--period", "2026-11", "--format", "json"], database)
            try #require(first.status == 0, "\(first.stderr)")
            let report = try #require(try json(first.stdout) as? [String: Any])
            let created = try #require((report["created"] as? [String: Any])?["count"] as? Int)
            #expect(created >= 2)
            let second = try invoice(["run", "--config", config, "--period", "2026-11", "--format", "json"], database)
            let again = try #require(try json(second.stdout) as? [String: Any])
            #expect((again["unchanged"] as? [String: Any])?["count"] as? Int == created)
            #expect((again["created"] as? [String: Any])?["count"] as? Int == 0)

            let listed = try invoice(["list", "--config", config, "--period", "2026-11", "--format", "json"], database)
            try #require(listed.status == 0, "\(listed.stderr)")
            let invoices = try #require(try json(listed.stdout) as? [[String: Any]])
            #expect(invoices.count == created)
            let one = try #require(invoices.first)
            for key in [
                "id", "number", "subject", "customer", "period_start", "period_end", "status", "currency", "lines",
                "subtotal", "discount_total", "total", "total_exact", "finalized_at", "voided_at", "void_reason",
                "forced_reason", "completeness", "audit",
            ] {
                #expect(one.keys.contains(key), "missing \(key)")
            }
            #expect(one["number"] is NSNull)
            #expect(one["status"] as? String == "draft")
            let id = try #require(one["id"] as? String)

            let csv = try invoice(["list", "--config", config, "--format", "csv"], database)
            #expect(csv.stdout.hasPrefix("invoice_id,number,status,subject"))

            let html = try invoice(["show", "--config", config, id, "--format", "html"], database)
            #expect(html.stdout.contains("DRAFT"))
            #expect(!html.stdout.contains("<script"))

            // With a settle delay longer than the time since the period ended, the gate refuses.
            let refused = try invoice(["finalize", "--config", config, id, "--settle-delay", "99999h"], database)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("the period is not complete"))
            #expect(refused.stderr.contains("source fixture (pipeline main)"))

            let forced = try invoice(
                ["finalize", "--config", config, id, "--force", "--reason", "fixture test"], database)
            try #require(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout.contains("as INV-"))
            #expect(forced.stdout.contains("-000001"))

            let shown = try invoice(["show", "--config", config, id], database)
            let finalized = try #require(try json(shown.stdout) as? [String: Any])
            #expect(finalized["status"] as? String == "finalized")
            #expect(finalized["forced_reason"] as? String == "fixture test")

            let voidWithout = try invoice(["void", "--config", config, id], database)
            #expect(voidWithout.status == 2)
            let voided = try invoice(["void", "--config", config, id, "--reason", "duplicate"], database)
            try #require(voided.status == 0, "\(voided.stderr)")
            let afterVoid = try #require(
                try json(try invoice(["show", "--config", config, id], database).stdout) as? [String: Any])
            #expect(afterVoid["status"] as? String == "void")
            #expect(afterVoid["number"] as? String == finalized["number"] as? String)
            #expect(afterVoid["void_reason"] as? String == "duplicate")

            let again2 = try invoice(["finalize", "--config", config, id], database)
            #expect(again2.status == 1)
            #expect(again2.stderr.contains("is void"))
        }
    }

    @Test func badInputGetsExactErrorsAndActivityImportIsIdempotent() async throws {
        let dir = try TemporaryDirectory("billing-invoice-errors")
        defer { dir.remove() }
        try await TestDatabase.with("invoice_err") { database in
            let config = try prepare(dir, database: database)

            let malformed = try invoice(["run", "--config", config, "--period", "2026-13"], database)
            #expect(malformed.status == 2)
            #expect(malformed.stderr.contains("period must be a UTC month such as 2026-11, not \"2026-13\""))
            let future = try invoice(["run", "--config", config, "--period", "2999-01"], database)
            #expect(future.status == 2)
            #expect(future.stderr.contains("period 2999-01 has not started yet"))
            let unknown = try invoice(["show", "--config", config, "inv_missing"], database)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("no invoice inv_missing"))

            try "customers:\n  acct-1:\n    name: One\n    colour: red\n".write(
                toFile: dir.file("customers.yaml"), atomically: true, encoding: .utf8)
            let badCustomers = try invoice(
                ["run", "--config", config, "--period", "2026-11", "--customers", dir.file("customers.yaml")], database)
            #expect(badCustomers.status == 2)
            #expect(badCustomers.stderr.contains("customers.acct-1.colour (line 4): unknown key"))
            #expect(
                try await database.query("SELECT count(*) FROM billing.invoices").trimmingCharacters(
                    in: .whitespacesAndNewlines)
                    == "0")

            let events = """
                {"subject": "acct-1", "event": "start", "time": "2026-11-01T00:00:00Z", "dimensions": {"vm_id": "vm-1"}}
                {"subject": "acct-1", "event": "stop", "time": "2026-11-16T00:00:00.5Z", "dimensions": {"vm_id": "vm-1"}}
                """
            try events.write(toFile: dir.file("activity.jsonl"), atomically: true, encoding: .utf8)
            let env = ["LEDGER_URL": database.url]
            let imported = try BillingServiceProcess.run(
                ["activity", "import", "--config", config, "--file", dir.file("activity.jsonl")], environment: env)
            try #require(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("1 added or closed, 0 unchanged"))
            let reimported = try BillingServiceProcess.run(
                ["activity", "import", "--config", config, "--file", dir.file("activity.jsonl")], environment: env)
            #expect(reimported.stdout.contains("0 added or closed, 1 unchanged"))
            let spans = try await database.query(
                "SELECT subject || ' ' || dimension_value || ' ' || start_ns || ' ' || stop_ns FROM billing.activity_spans"
            )
            #expect(
                spans.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "acct-1 vm-1 1793491200000000000 1794787200500000000")
        }
    }
}
