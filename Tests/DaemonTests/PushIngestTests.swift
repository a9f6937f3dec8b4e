import Core
import Foundation
import Host
import Testing

@testable import Daemon

/// Push ingest through a real daemon on loopback: file state, an audit sink.
@Suite("push ingest over HTTP")
struct PushIngestTests {
    static let config = """
        version: 1
        state:
          store: file
          path: var/state
        sources:
          edge_push:
            type: xray_push
            max_age: none  # the test snapshots are from January 2026 (clock window, issue 12)
            max_body_bytes: 4KiB
            initial_sync: bill_from_zero
        sinks:
          audit:
            type: jsonl_audit
            path: var/audit
            fsync: false
        pipelines:
          main:
            sources: [edge_push]
            sinks: [audit]
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
    static let environment = ["OPS_TOKEN": "ops-secret-7f3a-2c9d"]
    static let files = ["pusher.token": "push-secret-91bc\n"]

    static let body =
        (0..<3).map { Snapshots.line(minute: $0, up: UInt64(1_000 * ($0 + 1)), down: 50) }
        .joined(separator: "\n") + "\n"

    @Test("a push is applied once: 200 with the job result, a replay writes nothing")
    func pushAndReplay() async throws {
        try await DaemonHarness.run(config: Self.config, files: Self.files, environment: Self.environment) { d in
            let first = try await d.request("POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: Self.body)
            #expect(first.status == 200, "\(first.body)")
            let job = first.json
            #expect(job["job"] as? String == "ingest")
            #expect(job["status"] as? String == "ok")
            #expect(job["processed_samples"] as? Int == 3)
            #expect(job["written_minutes"] as? Int == 3)
            #expect(job["replayed_minutes"] as? Int == 0)
            let statuses = try #require(job["source_statuses"] as? [[String: Any]])
            #expect(statuses.first?["source_id"] as? String == "edge_push")
            #expect(statuses.first?["last_completed_until"] as? String == "2026-01-01T00:02:00Z")

            let replay = try await d.request("POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: Self.body)
            #expect(replay.status == 200)
            #expect(replay.json["written_minutes"] as? Int == 0)
            #expect(replay.json["replayed_minutes"] as? Int == 3)

            let status = try await d.request("GET", "/v1/status", token: "ops-secret-7f3a-2c9d")
            #expect(status.status == 200)
            let last = try #require(status.json["last_job"] as? [String: Any])
            #expect(last["job"] as? String == "ingest")
            let sources = try #require(status.json["sources"] as? [[String: Any]])
            #expect(sources.first?["cursor"] as? [String: String] == ["latest": "2026-01-01T00:02:00.000000000Z"])
            #expect(sources.first?["consecutive_failures"] as? Int == 0)
            #expect((sources.first?["lag_seconds"] as? Int ?? 0) > 0)
        }
    }

    @Test("a malformed body answers 422 with the first bad position and applies nothing")
    func malformed() async throws {
        try await DaemonHarness.run(config: Self.config, files: Self.files, environment: Self.environment) { d in
            let bad =
                Snapshots.line(minute: 0, up: 10, down: 10) + "\n"
                + Snapshots.line(minute: 1, up: 20, down: 20).replacingOccurrences(
                    of: "\"uuid\":\"u-1\"", with: "\"uuid\":7")
            let reply = try await d.request("POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: bad)
            #expect(reply.status == 422)
            #expect(reply.json["status"] as? String == "error")
            let error = try #require(reply.json["error"] as? String)
            #expect(error.hasPrefix("line 2, column "), "\(error)")
            #expect(error.contains("snapshot 1"))
            #expect(error.contains("samples[0].uuid"))
            // Nothing of the first (valid) line was applied: no cursor, no batch.
            let status = try await d.request("GET", "/v1/status", token: "ops-secret-7f3a-2c9d")
            let sources = try #require(status.json["sources"] as? [[String: Any]])
            #expect(sources.first?["cursor"] is NSNull)
            #expect(d.daemon.roster.engines.first?.sourceStates["edge_push"]?.cursor == nil)
            // The same first line alone is then billed from zero: it was not consumed before.
            let good = try await d.request(
                "POST", "/v1/ingest/snapshots", token: "push-secret-91bc",
                body: Snapshots.line(minute: 0, up: 10, down: 10))
            #expect(good.json["written_minutes"] as? Int == 1)
        }
    }

    @Test("a body over max_body_bytes answers 413")
    func tooLarge() async throws {
        try await DaemonHarness.run(config: Self.config, files: Self.files, environment: Self.environment) { d in
            let big = Array(repeating: Snapshots.line(minute: 0, up: 1, down: 1), count: 40).joined(separator: "\n")
            let reply = try await d.request("POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: big)
            #expect(reply.status == 413)
            #expect(reply.json["status"] as? String == "error")
        }
    }

    @Test("a push naming an unknown source answers 404 with a JSON error")
    func unknownSource() async throws {
        try await DaemonHarness.run(config: Self.config, files: Self.files, environment: Self.environment) { d in
            let reply = try await d.request(
                "POST", "/v1/ingest/snapshots?source=nope", token: "push-secret-91bc", body: Self.body)
            #expect(reply.status == 404)
            let error = try #require(reply.json["error"] as? [String: String])
            #expect(error["code"] == "not_found")
            #expect(error["message"]?.contains("edge_push") == true)
        }
    }

    @Test("/metrics exports the ingest, sink, lag and HTTP metrics in Prometheus text")
    func metrics() async throws {
        try await DaemonHarness.run(config: Self.config, files: Self.files, environment: Self.environment) { d in
            let push = try await d.request("POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: Self.body)
            #expect(push.status == 200)
            _ = try await d.request("GET", "/v1/status")
            let reply = try await d.request("GET", "/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("text/plain") })
            let lines = reply.body.split(separator: "\n").map(String.init)
            func value(_ prefix: String, _ labels: [String]) -> String? {
                lines.first { line in
                    line.hasPrefix(prefix + "{") && labels.allSatisfy { line.contains($0) }
                }?.split(separator: " ").last.map(String.init)
            }
            #expect(value("billing_observations_total", [#"source="edge_push""#]) == "6")
            #expect(value("billing_facts_total", [#"source="edge_push""#]) != nil)
            #expect(value("billing_sink_write_seconds_count", [#"sink="audit""#]) == "1")
            #expect(value("billing_source_lag_seconds", [#"source="edge_push""#]) != nil)
            #expect(value("billing_source_consecutive_failures", [#"source="edge_push""#]) == "0.0")
            #expect(
                value(
                    "billing_http_requests_total",
                    [#"route="/v1/ingest/snapshots""#, #"status="200""#, #"method="POST""#]) == "1")
            #expect(
                value("billing_http_requests_total", [#"route="/v1/status""#, #"status="401""#]) == "1")
            #expect(value("billing_http_request_duration_seconds_count", [#"route="/v1/ingest/snapshots""#]) == "1")
            #expect(lines.contains("billing_batch_facts_count 1"), "\(reply.body)")
        }
    }
}
