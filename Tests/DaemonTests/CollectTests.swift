import Foundation
import Testing

@testable import Daemon

/// Scheduled and on-demand collection of a pull source (file_replay), through a real daemon.
@Suite("collection jobs")
struct CollectTests {
    static let config = """
        version: 1
        state:
          store: file
          path: var/state
        sources:
          replay:
            type: file_replay
            path: snapshots.jsonl
            format: xray_snapshots
            initial_sync: bill_from_zero
        sinks:
          audit:
            type: jsonl_audit
            path: var/audit
            fsync: false
        pipelines:
          main:
            sources: [replay]
            sinks: [audit]
        service:
          listen: 127.0.0.1:0
          collect_interval: 1h
          jitter_percent: 0
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:admin, billing:read]
        """

    static func lines(_ minutes: Range<Int>) -> String {
        minutes.map { Snapshots.line(minute: $0, up: UInt64(100 * ($0 + 1)), down: 7) + "\n" }.joined()
    }

    @Test("the schedule collects at start; collect now picks up only what is new, per source")
    func scheduledThenOnDemand() async throws {
        try await DaemonHarness.run(
            config: Self.config, files: ["snapshots.jsonl": Self.lines(0..<3)],
            environment: ["OPS_TOKEN": "t-ops-8a4f2d6c1e90"]
        ) { d in
            // jitter 0: the first scheduled collection starts at once.
            var scheduled: [String: Any] = [:]
            for _ in 0..<500 {
                let status = try await d.request("GET", "/v1/status", token: "t-ops-8a4f2d6c1e90").json
                if let job = status["last_job"] as? [String: Any] {
                    scheduled = job
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(scheduled["job"] as? String == "collect")
            #expect(scheduled["status"] as? String == "ok")
            // file_replay is not an xray adapter: its samples are observations (2 per snapshot line).
            #expect(scheduled["processed_samples"] as? Int == 6)

            let idle = try await d.request("POST", "/v1/jobs/collect", token: "t-ops-8a4f2d6c1e90")
            #expect(idle.status == 200)
            #expect(idle.json["processed_samples"] as? Int == 0)

            let handle = try #require(FileHandle(forWritingAtPath: d.directory + "/snapshots.jsonl"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Self.lines(3..<5).utf8))
            try handle.close()
            let fresh = try await d.request("POST", "/v1/jobs/collect?source=replay", token: "t-ops-8a4f2d6c1e90")
            #expect(fresh.status == 200, "\(fresh.body)")
            #expect(fresh.json["status"] as? String == "ok")
            #expect(fresh.json["processed_samples"] as? Int == 4)
            #expect(fresh.json["written_minutes"] as? Int == 2)
            let statuses = try #require(fresh.json["source_statuses"] as? [[String: Any]])
            #expect(statuses.map { $0["source_id"] as? String } == ["replay"])
            #expect(statuses.first?["last_error"] is NSNull)
            let status = try await d.request("GET", "/v1/status", token: "t-ops-8a4f2d6c1e90")
            let sources = try #require(status.json["sources"] as? [[String: Any]])
            #expect(sources.first?["type"] as? String == "file_replay")
            #expect(sources.first?["pipeline"] as? String == "main")

            let unknown = try await d.request("POST", "/v1/jobs/collect?source=nope", token: "t-ops-8a4f2d6c1e90")
            #expect(unknown.status == 404)
        }
    }

    @Test("a failing source is reported in the job result and in status; health degrades after 3 failures")
    func failingSource() async throws {
        try await DaemonHarness.run(
            config: Self.config, files: ["snapshots.jsonl": "not json\n"],
            environment: ["OPS_TOKEN": "t-ops-8a4f2d6c1e90"]
        ) { d in
            for _ in 0..<3 {
                let reply = try await d.request("POST", "/v1/jobs/collect", token: "t-ops-8a4f2d6c1e90")
                #expect(reply.status == 502, "\(reply.body)")
                #expect(reply.json["status"] as? String == "error")
                #expect((reply.json["error"] as? String)?.contains("replay") == true)
            }
            let health = try await d.request("GET", "/healthz")
            #expect(health.status == 503)
            #expect(health.json["status"] as? String == "degraded")
            #expect((health.json["message"] as? String)?.contains("replay") == true)
            let status = try await d.request("GET", "/v1/status", token: "t-ops-8a4f2d6c1e90")
            let sources = try #require(status.json["sources"] as? [[String: Any]])
            #expect((sources.first?["consecutive_failures"] as? Int ?? 0) >= 3)
        }
    }
}
