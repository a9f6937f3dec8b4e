import Core
import Foundation
import Host
import Testing

@testable import Daemon

/// Issue 12, item 4, through a real daemon with the system clock and the
/// `xray_push` defaults (5 minutes ahead, 72 hours behind): a snapshot from
/// 2200 or 2000 is refused with 422 and moves nothing; late data that the
/// baselines can no longer take is answered 200 with its count, which
/// `/v1/status` keeps per source.
@Suite("push clock window and late data")
struct ClockWindowPushTests {
    static let config = PushIngestTests.config.replacingOccurrences(
        of: "    max_age: none  # the test snapshots are from January 2026 (clock window, issue 12)\n", with: "")
    static let push = "push-secret-91bc"
    static let ops = PushIngestTests.environment["OPS_TOKEN"] ?? ""

    /// A snapshot `secondsAgo` before the whole minute now falls in (negative: ahead).
    static func line(_ time: String, up: UInt64) -> String {
        #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(up),"downlink_bytes_total":\#(up)}]}"#
    }

    static func minutesAgo(_ minutes: Int64) -> String {
        let now = SystemClock().now().minuteStart
        return now.adding(nanoseconds: -minutes * Timestamp.nanosecondsPerMinute).rfc3339(fractionalDigits: .automatic)
    }

    func sourceStatus(_ d: DaemonHarness) async throws -> [String: Any] {
        let status = try await d.request("GET", "/v1/status", token: Self.ops)
        #expect(status.status == 200, "\(status.body)")
        return try #require((status.json["sources"] as? [[String: Any]])?.first)
    }

    @Test("a snapshot from 2200 or 2000 answers 422 naming it; the cursor does not move and later usage is billed")
    func outsideWindow() async throws {
        #expect(!Self.config.contains("max_age"))
        try await DaemonHarness.run(
            config: Self.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let real = Self.line(Self.minutesAgo(2), up: 100)
            for time in ["2200-01-01T00:00:00Z", "2000-01-01T00:00:00Z"] {
                let reply = try await d.request(
                    "POST", "/v1/ingest/snapshots", token: Self.push, body: real + "\n" + Self.line(time, up: 5) + "\n")
                #expect(reply.status == 422, "\(reply.body)")
                let error = try #require(reply.json["error"] as? String)
                #expect(error.hasPrefix("(snapshot 1, collected_at): collected_at \(time) is "), "\(error)")
                #expect(error.contains(time.hasPrefix("2200") ? "max_future_skew is 5m" : "max_age is 3d"), "\(error)")
            }
            let untouched = try await sourceStatus(d)
            #expect(untouched["cursor"] is NSNull, "\(untouched)")
            #expect(d.daemon.roster.engines.first?.sourceStates["edge_push"]?.cursor == nil)

            // Real usage after the refusals: metered, and the lag is a small positive number.
            let first = try await d.request("POST", "/v1/ingest/snapshots", token: Self.push, body: real)
            #expect(first.status == 200, "\(first.body)")
            let next = try await d.request(
                "POST", "/v1/ingest/snapshots", token: Self.push, body: Self.line(Self.minutesAgo(1), up: 300))
            #expect(next.status == 200, "\(next.body)")
            #expect(next.json["written_minutes"] as? Int == 1, "\(next.body)")
            #expect(next.json["late_observations"] as? Int == 0, "\(next.body)")
            let lag = try #require(try await sourceStatus(d)["lag_seconds"] as? Int)
            #expect(lag >= 0 && lag < 300, "\(lag)")
        }
    }

    @Test("data older than the series' baselines answers 200 with late_observations, counted in /v1/status")
    func lateData() async throws {
        try await DaemonHarness.run(
            config: Self.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let current = try await d.request(
                "POST", "/v1/ingest/snapshots", token: Self.push, body: Self.line(Self.minutesAgo(1), up: 500))
            #expect(current.status == 200, "\(current.body)")
            #expect(current.json["late_observations"] as? Int == 0)
            let before = try await sourceStatus(d)
            #expect(before["late_observations"] as? Int == 0, "\(before)")

            // Inside the window but behind the baselines: nothing to meter, and said so.
            let late = try await d.request(
                "POST", "/v1/ingest/snapshots", token: Self.push,
                body: Self.line(Self.minutesAgo(3), up: 200) + "\n" + Self.line(Self.minutesAgo(2), up: 300) + "\n")
            #expect(late.status == 200, "\(late.body)")
            #expect(late.json["late_observations"] as? Int == 4, "\(late.body)")
            #expect(late.json["written_minutes"] as? Int == 0, "\(late.body)")
            let statuses = try #require(late.json["source_statuses"] as? [[String: Any]])
            #expect(statuses.first?["late_observations"] as? Int == 4, "\(statuses)")
            let after = try await sourceStatus(d)
            #expect(after["late_observations"] as? Int == 4, "\(after)")
            let lastJob = try await d.request("GET", "/v1/status", token: Self.ops).json["last_job"] as? [String: Any]
            #expect(lastJob?["late_observations"] as? Int == 4)
        }
    }
}
