import Core
import Foundation
import Logging
import PostgresSink
import TestKit
import Testing

@testable import Daemon

/// Push ingest into the real PostgreSQL ledger, read back through `GET /v1/usage`.
@Suite("usage over HTTP from the ledger")
struct UsageTests {
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          edge_push:
            type: xray_push
            max_age: none  # the test snapshots are from January 2026 (clock window, issue 12)
            initial_sync: bill_from_zero
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [edge_push]
            sinks: [ledger]
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:read, billing:admin]
            - id: pusher
              token_env: PUSH_TOKEN
              scopes: [ingest]
        """

    /// A fresh, migrated ledger database for the duration of `body`.
    static func withLedger<T: Sendable>(_ label: String, _ body: (TestDatabase) async throws -> T) async throws -> T {
        try await TestDatabase.with(label) { database in
            let ledger = LedgerDatabase(
                url: try DatabaseURL(parsing: database.url),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            do {
                _ = try await Migrator(database: ledger).migrate(now: Timestamp(secondsSinceEpoch: 1_767_225_600))
            } catch {
                await ledger.shutdown()
                throw error
            }
            await ledger.shutdown()
            return try await body(database)
        }
    }

    static let usagePath =
        "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&granularity=day&metric=traffic.uplink_bytes"

    @Test("pushed bytes are in the ledger exactly once; a replay and a rejected body change nothing")
    func pushedUsage() async throws {
        try await Self.withLedger("daemon_usage") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20", "PUSH_TOKEN": "r-push-3b7e9a1c5f02",
            ]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let ready = try await d.request("GET", "/readyz")
                #expect(ready.status == 200, "\(ready.body)")
                let body = (0..<3).map { Snapshots.line(minute: $0, up: UInt64(1_000 * ($0 + 1)), down: 50) }
                    .joined(separator: "\n")
                for attempt in 0..<2 {
                    let push = try await d.request(
                        "POST", "/v1/ingest/snapshots", token: "r-push-3b7e9a1c5f02", body: body)
                    #expect(push.status == 200, "\(push.body)")
                    #expect(push.json["written_minutes"] as? Int == (attempt == 0 ? 3 : 0))
                }
                let bad =
                    body + "\n"
                    + Snapshots.line(minute: 3, up: 9_999, down: 50).replacingOccurrences(of: "}]}", with: "}]")
                #expect(
                    try await d.request("POST", "/v1/ingest/snapshots", token: "r-push-3b7e9a1c5f02", body: bad).status
                        == 422)

                let usage = try await d.request("GET", Self.usagePath, token: "r-ops-5e1b7c3a9d20")
                #expect(usage.status == 200, "\(usage.body)")
                let rows = try #require(
                    try JSONSerialization.jsonObject(with: Data(usage.body.utf8)) as? [[String: String]])
                #expect(rows.count == 1)
                #expect(rows.first?["subject"] == "u-1")
                #expect(rows.first?["quantity"] == "3000")
                #expect(rows.first?["period_start"] == "2026-01-01T00:00:00Z")
            }
        }
    }

    @Test(
        "usage parameters are checked: 400 naming the parameter",
        arguments: [
            ("/v1/usage?to=2026-01-02T00:00:00Z", "from"),
            ("/v1/usage?from=2026-01-01T00:00:00Z&to=yesterday", "to"),
            ("/v1/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "before"),
            ("/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&granularity=week", "granularity"),
        ])
    func badParameters(path: String, named: String) async throws {
        try await Self.withLedger("daemon_usage_params") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20", "PUSH_TOKEN": "r-push-3b7e9a1c5f02",
            ]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let reply = try await d.request("GET", path, token: "r-ops-5e1b7c3a9d20")
                #expect(reply.status == 400)
                let error = try #require(reply.json["error"] as? [String: String])
                #expect(error["message"]?.contains(named) == true, "\(reply.body)")
            }
        }
    }

    /// NDJSON of one subject's snapshots at minutes 0..<count past 2026-01-01T00:00Z.
    static func snapshots(minutes count: Int) -> String {
        let start = Timestamp(secondsSinceEpoch: 1_767_225_600)
        return (0..<count).map { minute in
            let time = start.adding(nanoseconds: Int64(minute) * Timestamp.nanosecondsPerMinute)
                .rfc3339(fractionalDigits: .none)
            return
                #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(1_000 * (minute + 1)),"downlink_bytes_total":\#(7 * (minute + 1))}]}"#
        }.joined(separator: "\n")
    }

    @Test("a span of more periods than the limit is refused with 422 naming the limit and the span")
    func spanTooLarge() async throws {
        try await Self.withLedger("daemon_usage_span") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20", "PUSH_TOKEN": "r-push-3b7e9a1c5f02",
            ]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                // Two centuries by minute (the probe asked 1678 to 2262, years the API no longer parses).
                let reply = try await d.request(
                    "GET", "/v1/usage?from=2000-01-01T00:00:00Z&to=2200-01-01T00:00:00Z&granularity=minute",
                    token: "r-ops-5e1b7c3a9d20")
                #expect(reply.status == 422, "\(reply.body)")
                let error = try #require(reply.json["error"] as? [String: String])
                #expect(error["code"] == "span_too_large")
                let message = error["message"] ?? ""
                for part in ["44640", "105190560 minute periods", "2000-01-01T00:00:00Z", "2200-01-01T00:00:00Z"] {
                    #expect(message.contains(part), "\(message)")
                }
                // One minute over 31 days is refused; 31 days by minute is within the limit.
                let over = try await d.request(
                    "GET", "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-02-01T00:01:00Z&granularity=minute",
                    token: "r-ops-5e1b7c3a9d20")
                #expect(over.status == 422, "\(over.body)")
                #expect(over.body.contains("44641 minute periods"), "\(over.body)")
                let month = try await d.request(
                    "GET", "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&granularity=minute",
                    token: "r-ops-5e1b7c3a9d20")
                #expect(month.status == 200, "\(month.body)")
            }
        }
    }

    @Test("limit and cursor page the rows; the pages add up to the unpaged answer; bad ones get 400")
    func paging() async throws {
        try await Self.withLedger("daemon_usage_pages") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20", "PUSH_TOKEN": "r-push-3b7e9a1c5f02",
            ]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let push = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: "r-push-3b7e9a1c5f02", body: Self.snapshots(minutes: 4))
                #expect(push.status == 200, "\(push.body)")
                let base = "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&granularity=minute"
                let whole = try await d.request("GET", base, token: "r-ops-5e1b7c3a9d20")
                let rows = try #require(
                    try JSONSerialization.jsonObject(with: Data(whole.body.utf8)) as? [[String: String]])
                #expect(rows.count == 8, "\(whole.body)")

                var paged: [[String: String]] = []
                var path = base + "&limit=3"
                var pages = 0
                while pages < 10 {
                    let reply = try await d.request("GET", path, token: "r-ops-5e1b7c3a9d20")
                    #expect(reply.status == 200, "\(reply.body)")
                    let object = try #require(
                        try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
                    let page = try #require(object["rows"] as? [[String: String]])
                    paged += page
                    pages += 1
                    guard let next = object["next_cursor"] as? String else {
                        #expect(object["next_cursor"] is NSNull)
                        break
                    }
                    #expect(page.count == 3)
                    path = base + "&limit=3&cursor=" + next
                }
                #expect(pages == 3)
                #expect(paged == rows)

                let first = try await d.request("GET", base + "&limit=3", token: "r-ops-5e1b7c3a9d20")
                let cursor = try #require(first.json["next_cursor"] as? String)
                for (bad, named) in [
                    (base + "&limit=0", "limit"), (base + "&limit=10001", "limit"), (base + "&limit=ten", "limit"),
                    (base.replacingOccurrences(of: "minute", with: "hour") + "&cursor=" + cursor, "cursor"),
                    (base + "&cursor=not-a-cursor", "cursor"),
                ] {
                    let reply = try await d.request("GET", bad, token: "r-ops-5e1b7c3a9d20")
                    #expect(reply.status == 400, "\(bad): \(reply.body)")
                    let error = try #require(reply.json["error"] as? [String: String])
                    #expect(error["message"]?.hasPrefix(named) == true, "\(reply.body)")
                }
            }
        }
    }

    @Test("an unpaged answer longer than a page is streamed whole: the same bytes as the engine's rendering")
    func streamedAnswer() async throws {
        try await Self.withLedger("daemon_usage_stream") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20", "PUSH_TOKEN": "r-push-3b7e9a1c5f02",
            ]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                // 5,002 minutes of two metrics: 10,004 rows, more than one page of 10,000.
                let push = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: "r-push-3b7e9a1c5f02", body: Self.snapshots(minutes: 5_002))
                #expect(push.status == 200, "\(push.body)")
                let reply = try await d.request(
                    "GET", "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-05T00:00:00Z&granularity=minute",
                    token: "r-ops-5e1b7c3a9d20")
                #expect(reply.status == 200)
                #expect(!reply.headers.contains { $0.0.lowercased() == "content-length" })

                let ledger = LedgerDatabase(
                    url: try DatabaseURL(parsing: database.url),
                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
                let rows: [UsageRow]
                do {
                    rows = try await UsageQueryEngine(database: ledger).run(
                        UsageQuery(
                            from: Timestamp(secondsSinceEpoch: 1_767_225_600),
                            to: Timestamp(secondsSinceEpoch: 1_767_225_600 + 4 * 86_400), granularity: .minute))
                    await ledger.shutdown()
                } catch {
                    await ledger.shutdown()
                    throw error
                }
                #expect(rows.count > UsageLimits.maxPageRows)
                #expect(reply.body == UsageReport.json(rows))
            }
        }
    }
}
