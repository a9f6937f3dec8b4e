import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import TestKit
import Testing

/// Issue 12, item 9: two `billing-service serve` processes on one ledger
/// database. One holds the pipeline and writes; the other stands by (503 with
/// `Retry-After`, `/readyz` not ready with reason `standby`, `/v1/status` role
/// `standby` naming the holder) and takes over after the holder is killed,
/// metering from the committed state, so the ledger stays exact.
@Suite("two serve processes on one database", .serialized)
struct StandbyProcessTests {
    static let pushToken = ServeProcessTests.pushToken
    static let opsToken = ServeProcessTests.opsToken

    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          edge_push:
            type: xray_push
            max_body_bytes: 64KiB
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
              scopes: [billing:admin, billing:read]
            - id: pusher
              token_file: pusher.token
              scopes: [ingest]
        """

    /// One snapshot of series u-1 `minutesAgo` minutes before now.
    static func snapshot(minutesAgo: Int, uplink: UInt64) -> String {
        let now = Int(Date().timeIntervalSince1970) / 60 * 60
        let time = Date(timeIntervalSince1970: TimeInterval(now - minutesAgo * 60))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return
            #"{"collected_at":"\#(formatter.string(from: time))","node_id":"edge-1","env":"prod","samples":[{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(uplink),"downlink_bytes_total":1}]}"#
            + "\n"
    }

    typealias Answer = HTTPAnswer

    static func call(_ method: HTTPMethod, port: Int, _ path: String, token: String? = nil, body: String? = nil)
        async throws -> Answer
    {
        try await HTTPAnswer.fetch(method, port: port, path, token: token, body: body)
    }

    static func push(port: Int, _ body: String) async throws -> Answer {
        try await call(.POST, port: port, "/v1/ingest/snapshots", token: pushToken, body: body)
    }

    /// The `pipelines` entry of `main` in `/v1/status`.
    static func pipelineStatus(port: Int) async throws -> [String: Any] {
        let status = try await call(.GET, port: port, "/v1/status", token: opsToken)
        let pipelines = status.json["pipelines"] as? [[String: Any]] ?? []
        return pipelines.first { $0["pipeline"] as? String == "main" } ?? [:]
    }

    /// Polls until `/v1/status` shows `role` for `main`; how long that took, nil if not within `limit`.
    static func time(untilRole role: String, port: Int, within limit: Duration) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if let entry = try? await pipelineStatus(port: port), entry["role"] as? String == role,
                entry["ready"] as? Bool == (role == "holder")
            {
                return ContinuousClock.now - start
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    static func psql(_ url: String, _ sql: String) async throws -> String {
        try await TestDatabase.rows(url, sql).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func serve(_ dir: String, url: String) throws -> ServeProcessTests.Child {
        try ServeProcessTests.Child(
            arguments: ["serve", "--config", dir + "/plugins.yaml"],
            environment: ["OPS_TOKEN": Self.opsToken, "LEDGER_URL": url])
    }

    @Test(
        "only the holder writes; the standby answers 503, takes over within seconds of kill -9, the ledger stays exact",
        .timeLimit(.minutes(2)))
    func standbyTakesOverAfterKill() async throws {
        try await TestDatabase.with("standby") { db in
            let migrate = try ServeProcessTests.Child(
                arguments: ["migrate", "--database-url", db.url], environment: [:])
            try #require(await migrate.exit.value == 0, "migrate: \(migrate.text)")
            let dir = try DaemonHarness.temporaryDirectory()
            try Self.config.write(toFile: dir + "/plugins.yaml", atomically: true, encoding: .utf8)
            try (Self.pushToken + "\n").write(toFile: dir + "/pusher.token", atomically: true, encoding: .utf8)

            let first = try serve(dir, url: db.url)
            defer { first.killIfRunning() }
            let firstPort = try await first.port()
            let holding = await Self.time(untilRole: "holder", port: firstPort, within: .seconds(10))
            try #require(holding != nil, "the first serve did not take the pipeline:\n\(first.text)")

            let second = try serve(dir, url: db.url)
            defer { second.killIfRunning() }
            let secondPort = try await second.port()
            let standingBy = await Self.time(untilRole: "standby", port: secondPort, within: .seconds(10))
            try #require(standingBy != nil, "the second serve did not stand by:\n\(second.text)")
            let standby = try await Self.pipelineStatus(port: secondPort)
            let holder = standby["holder"] as? String ?? ""
            #expect(holder.contains("pid \(first.process.processIdentifier)"), "\(standby)")
            #expect(holder.contains(" since "), "\(standby)")
            #expect(second.text.contains("standing by"), "\(second.text)")

            // /readyz: the standby is not ready for the pipeline, with reason "standby".
            let readiness = try await Self.call(.GET, port: secondPort, "/readyz")
            #expect(readiness.status == 503, "\(readiness.body)")
            let dependencies = readiness.json["dependencies"] as? [[String: Any]] ?? []
            let pipeline = dependencies.first { $0["name"] as? String == "pipeline:main" }
            #expect(pipeline?["reason"] as? String == "standby", "\(readiness.body)")
            #expect(try await Self.call(.GET, port: firstPort, "/readyz").status == 200)

            // Pushes to both: only the holder writes.
            let a1 = try await Self.push(port: firstPort, Self.snapshot(minutesAgo: 30, uplink: 1_000))
            #expect(a1.status == 200, "\(a1.body)")
            let refused = try await Self.push(port: secondPort, Self.snapshot(minutesAgo: 29, uplink: 2_000))
            #expect(refused.status == 503, "\(refused.body)")
            #expect(refused.retryAfter != nil)
            #expect(refused.body.contains("standby"), "\(refused.body)")
            let a2 = try await Self.push(port: firstPort, Self.snapshot(minutesAgo: 28, uplink: 3_000))
            #expect(a2.status == 200, "\(a2.body)")
            #expect(try await Self.psql(db.url, "SELECT sum(quantity) FROM billing.usage_facts") == "3001")

            // kill -9 the holder: the standby takes over within a few seconds.
            kill(first.process.processIdentifier, SIGKILL)
            _ = await first.exit.value
            let takeover = await Self.time(untilRole: "holder", port: secondPort, within: .seconds(10))
            #expect(takeover != nil, "the standby did not take over:\n\(second.text)")
            if let takeover { #expect(takeover < .seconds(5), "took \(takeover)") }
            #expect(second.text.contains("took over the pipeline"), "\(second.text)")
            let holderNow = try await Self.pipelineStatus(port: secondPort)["holder"] as? String ?? ""
            #expect(holderNow.contains("pid \(second.process.processIdentifier)"), "\(holderNow)")

            // It meters from the committed state: the next total bills only its increase.
            let b1 = try await Self.push(port: secondPort, Self.snapshot(minutesAgo: 27, uplink: 4_000))
            #expect(b1.status == 200, "\(b1.body)")
            #expect(try await Self.psql(db.url, "SELECT sum(quantity) FROM billing.usage_facts") == "4001")
            let mismatch = try await Self.psql(
                db.url,
                """
                SELECT count(*) FROM (
                    SELECT series_id, minute, currency, sum(quantity) AS q, sum(amount) AS a, count(*) AS n
                    FROM billing.usage_facts GROUP BY series_id, minute, currency
                ) f FULL JOIN billing.minute_totals t USING (series_id, minute, currency)
                WHERE f.q IS DISTINCT FROM t.quantity OR f.a IS DISTINCT FROM t.amount
                   OR f.n IS DISTINCT FROM t.fact_count
                """)
            #expect(mismatch == "0")

            kill(second.process.processIdentifier, SIGTERM)
            #expect(await second.exit.value == 0, "\(second.text)")
        }
    }
}
