import Core
import Foundation
import Host
import TestKit
import Testing

@testable import Daemon

/// The invoice routes (issue 14) through the real daemon over the real
/// ledger: the run job, the list and one invoice, the HTML document,
/// finalize with its scope and number, void, and each refusal's status.
@Suite("invoice routes over HTTP")
struct InvoiceRouteTests {
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          edge_push:
            type: xray_push
            max_age: none
            initial_sync: bill_from_zero
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [edge_push]
            sinks: [ledger]
        rating:
          price_book: pricebook.yaml
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:read, billing:admin, ingest]
            - id: finance
              token_env: FINANCE_TOKEN
              scopes: [billing:read, platform.finance]
        """
    static let ops = "ops-secret-invoices-2f9a"
    static let finance = "finance-secret-7c1d-0b3e"

    /// acct-1's 2 GB down in November (0.05 per GB: 0.10), then a December
    /// snapshot that carries the source's cursor past the period's end.
    static func snapshot(at time: String, down: UInt64) -> String {
        #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"acct-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":0,"downlink_bytes_total":\#(down)}]}"#
    }

    @Test(
        "usage on the gateway path; run, list, show, download, finalize with a gapless number, void; scopes and states refused"
    )
    func lifecycle() async throws {
        let priceBook = try String(contentsOfFile: Repository.path("examples/pricebook.yaml"), encoding: .utf8)
        try await UsageTests.withLedger("invoice_routes") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "FINANCE_TOKEN": Self.finance]
            try await DaemonHarness.run(
                config: Self.config, files: ["pricebook.yaml": priceBook], environment: environment
            ) { d in
                let body =
                    Self.snapshot(at: "2026-11-10T12:00:00Z", down: 2_000_000_000) + "\n"
                    + Self.snapshot(at: "2026-12-01T00:05:00Z", down: 2_000_000_000) + "\n"
                let pushed = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: Self.ops, body: body,
                    headers: [("Content-Type", "application/x-ndjson")])
                #expect(pushed.status == 200, "\(pushed.body)")
                let query = "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=month"
                let usage = try await d.request("GET", "/v1/usage" + query, token: Self.ops)
                let gateway = try await d.request("GET", "/v1/billing/usage" + query, token: Self.ops)
                #expect(gateway.status == 200)
                #expect(gateway.body == usage.body)
                #expect(gateway.body.contains("\"quantity\":\"2000000000\""), "\(gateway.body)")

                let bad = try await d.request("POST", "/v1/jobs/invoice?period=2026-13", token: Self.ops)
                #expect(bad.status == 400)
                let run = try await d.request("POST", "/v1/jobs/invoice?period=2026-11", token: Self.ops)
                #expect(run.status == 200, "\(run.body)")
                #expect(run.body.contains("\"created\""), "\(run.body)")

                let list = try await d.request("GET", "/v1/billing/invoices?period=2026-11", token: Self.ops)
                #expect(list.status == 200, "\(list.body)")
                let invoices = list.json["invoices"] as? [[String: Any]] ?? []
                #expect(invoices.count == 1)
                let id = try #require(invoices.first?["id"] as? String)
                #expect(invoices.first?["subject"] as? String == "acct-1")
                #expect(invoices.first?["status"] as? String == "draft")
                #expect(invoices.first?["total"] as? String == "0.10", "\(list.body)")

                let shown = try await d.request("GET", "/v1/billing/invoices/\(id)", token: Self.ops)
                #expect(shown.status == 200)
                #expect(shown.json["number"] is NSNull)
                let missing = try await d.request("GET", "/v1/billing/invoices/inv_none", token: Self.ops)
                #expect(missing.status == 404)
                #expect((missing.json["error"] as? [String: Any])?["code"] as? String == "not_found")

                let html = try await d.request("GET", "/v1/billing/invoices/\(id)/download", token: Self.ops)
                #expect(html.status == 200)
                #expect(html.headers.first { $0.0.lowercased() == "content-type" }?.1.hasPrefix("text/html") == true)
                #expect(html.body.contains("DRAFT"))
                let csv = try await d.request(
                    "GET", "/v1/billing/invoices/\(id)/download?format=csv", token: Self.ops)
                #expect(csv.body.contains(id))

                let wrongScope = try await d.request("POST", "/v1/admin/invoices/\(id)/finalize", token: Self.ops)
                #expect(wrongScope.status == 403)
                let draftVoid = try await d.request(
                    "POST", "/v1/admin/invoices/\(id)/void", token: Self.finance, body: #"{"reason":"test"}"#,
                    headers: [("Content-Type", "application/json")])
                #expect(draftVoid.status == 409, "\(draftVoid.body)")

                let finalized = try await d.request(
                    "POST", "/v1/admin/invoices/\(id)/finalize", token: Self.finance)
                #expect(finalized.status == 200, "\(finalized.body)")
                #expect(finalized.json["number"] as? String == "INV-2026-000001")
                #expect(finalized.json["status"] as? String == "finalized")
                let again = try await d.request("POST", "/v1/admin/invoices/\(id)/finalize", token: Self.finance)
                #expect(again.status == 409)

                let noReason = try await d.request("POST", "/v1/admin/invoices/\(id)/void", token: Self.finance)
                #expect(noReason.status == 400)
                let voided = try await d.request(
                    "POST", "/v1/admin/invoices/\(id)/void", token: Self.finance,
                    body: #"{"reason":"issued to the wrong entity","replace":true}"#,
                    headers: [("Content-Type", "application/json")])
                #expect(voided.status == 200, "\(voided.body)")
                #expect(voided.json["status"] as? String == "void")
                #expect(voided.json["number"] as? String == "INV-2026-000001")
                #expect(voided.json["void_reason"] as? String == "issued to the wrong entity")
                // The replacement: a draft of its own that names the voided number, finalized with the next one.
                let replacement = voided.json["replacement"] as? [String: Any] ?? [:]
                #expect(replacement["status"] as? String == "draft", "\(voided.body)")
                #expect(replacement["replaces"] as? String == "INV-2026-000001")
                #expect(replacement["total"] as? String == voided.json["total"] as? String)
                let replacementID = try #require(replacement["id"] as? String)
                #expect(replacementID != id)
                let reissued = try await d.request(
                    "POST", "/v1/admin/invoices/\(replacementID)/finalize", token: Self.finance)
                #expect(reissued.status == 200, "\(reissued.body)")
                #expect(reissued.json["number"] as? String == "INV-2026-000002")
                #expect(reissued.json["replaces"] as? String == "INV-2026-000001")
                let twice = try await d.request(
                    "POST", "/v1/admin/invoices/\(id)/void", token: Self.finance,
                    body: #"{"reason":"again","replace":true}"#, headers: [("Content-Type", "application/json")])
                #expect(twice.status == 409)
            }
        }
    }

    @Test("without a price book the routes answer 404 no_invoices")
    func unconfigured() async throws {
        try await UsageTests.withLedger("invoice_routes_off") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "FINANCE_TOKEN": Self.finance]
            let config = Self.config.replacingOccurrences(of: "rating:\n  price_book: pricebook.yaml\n", with: "")
            try await DaemonHarness.run(config: config, environment: environment) { d in
                let list = try await d.request("GET", "/v1/billing/invoices", token: Self.ops)
                #expect(list.status == 404)
                #expect((list.json["error"] as? [String: Any])?["code"] as? String == "no_invoices", "\(list.body)")
            }
        }
    }

    @Test("service.invoicing runs the month that ended and, with finalize: auto, finalizes once the gate passes")
    func schedule() async throws {
        let priceBook = try String(contentsOfFile: Repository.path("examples/pricebook.yaml"), encoding: .utf8)
        // The schedule runs every minute; its period is the month before the current one.
        let now = SystemClock().now()
        let (year, month, _) = Timestamp.civilFromDays(now.nanosecondsSinceEpoch / 86_400_000_000_000)
        let previous = month == 1 ? (year - 1, Int64(12)) : (year, month - 1)
        let label = String(format: "%04d-%02d", previous.0, previous.1)
        let thisMonth = String(format: "%04d-%02d", year, month)
        let config =
            Self.config
                + """

                  invoicing: { schedule: "* * * * *", finalize: auto, retry: 2s }
                """
        try await UsageTests.withLedger("invoice_schedule") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "FINANCE_TOKEN": Self.finance]
            try await DaemonHarness.run(
                config: config, files: ["pricebook.yaml": priceBook], environment: environment
            ) { d in
                let body =
                    Self.snapshot(at: "\(label)-10T12:00:00Z", down: 2_000_000_000) + "\n"
                    + Self.snapshot(at: "\(thisMonth)-01T00:00:00Z", down: 2_000_000_000) + "\n"
                let pushed = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: Self.ops, body: body,
                    headers: [("Content-Type", "application/x-ndjson")])
                #expect(pushed.status == 200, "\(pushed.body)")
                var finalized: [[String: Any]] = []
                for _ in 0..<80 where finalized.isEmpty {
                    try await Task.sleep(for: .seconds(1))
                    let list = try await d.request(
                        "GET", "/v1/billing/invoices?status=finalized&period=\(label)", token: Self.ops)
                    finalized = list.json["invoices"] as? [[String: Any]] ?? []
                }
                #expect(finalized.count == 1, "no invoice was finalized by the schedule within 80 s")
                #expect(finalized.first?["subject"] as? String == "acct-1")
                #expect(finalized.first?["number"] as? String == "INV-\(year)-000001")
                #expect(finalized.first?["forced_reason"] is NSNull)
            }
        }
    }
}
