import Foundation
import TestKit
import Testing

@testable import Daemon

/// Pushes that once crashed the daemon (a `collected_at` whose month ends beyond
/// Int64 nanoseconds) or reached PostgreSQL unchecked (a NUL in a label, a
/// 5,000-byte uuid): each is a 422 naming where and why, nothing is written,
/// and the same daemon then takes a valid push.
@Suite("hostile push bodies against the real ledger")
struct HostileInputTests {
    static func snapshot(at time: String, uuid: String = "u-1") -> String {
        #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"\#(uuid)","email":"","inbound_tag":"","uplink_bytes_total":10,"downlink_bytes_total":5}]}"#
    }

    static let cases: [(body: String, fragments: [String])] = [
        (snapshot(at: "2262-04-01T00:00:00Z"), ["snapshot 0", "collected_at", "year 2262", "1970…2261"]),
        (snapshot(at: "1677-09-22T00:00:00Z"), ["snapshot 0", "collected_at", "year 1677"]),
        (snapshot(at: "2263-01-01T00:00:00Z"), ["collected_at", "year 2263"]),
        (
            Snapshots.line(minute: 0, up: 1, down: 1) + "\n" + snapshot(at: "2026-01-01T00:01:00Z", uuid: #"u\u0000x"#),
            ["line 2", "snapshot 1", "samples[0].uuid", "U+0000"]
        ),
        (
            snapshot(at: "2026-01-01T00:00:00Z", uuid: String(repeating: "a", count: 5_000)),
            ["snapshot 0", "samples[0].uuid", "5000 bytes", "at most 256"]
        ),
        (
            snapshot(at: "2026-01-01T00:00:00Z").replacingOccurrences(of: #""prod""#, with: #""pr\u001Fod""#),
            ["env", "U+001F"]
        ),
    ]

    @Test("out-of-range times and bad labels answer 422, write nothing, and the daemon lives on")
    func refusedAndAlive() async throws {
        try await UsageTests.withLedger("daemon_hostile") { database in
            let environment = [
                "LEDGER_URL": database.url, "OPS_TOKEN": "hostile-ops-token-0001",
                "PUSH_TOKEN": "hostile-push-token-001",
            ]
            try await DaemonHarness.run(config: UsageTests.config, environment: environment) { d in
                for (body, fragments) in Self.cases {
                    let reply = try await d.request(
                        "POST", "/v1/ingest/snapshots", token: "hostile-push-token-001", body: body)
                    #expect(reply.status == 422, "\(reply.body)")
                    let error = reply.json["error"] as? String ?? reply.body
                    for fragment in fragments { #expect(error.contains(fragment), "\(error) lacks \(fragment)") }
                    #expect(!error.contains("SQLSTATE"), "\(error)")
                }
                let good = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: "hostile-push-token-001",
                    body: Snapshots.line(minute: 0, up: 7, down: 3))
                #expect(good.status == 200, "\(good.body)")
                #expect(good.json["written_minutes"] as? Int == 1)
                let usage = try await d.request("GET", UsageTests.usagePath, token: "hostile-ops-token-0001")
                #expect(usage.status == 200, "\(usage.body)")
                #expect(usage.body.contains("\"7\""), "only the valid push is billed: \(usage.body)")
                // A query parameter beyond what a timestamp holds says so, not "not RFC 3339".
                let far = try await d.request(
                    "GET", "/v1/usage?from=2026-01-01T00:00:00Z&to=2263-01-01T00:00:00Z",
                    token: "hostile-ops-token-0001")
                #expect(far.status == 400)
                let message = (far.json["error"] as? [String: String])?["message"] ?? far.body
                #expect(message.hasPrefix("to: year 2263 is outside the accepted years 1970…2261"), "\(message)")
            }
        }
    }
}
