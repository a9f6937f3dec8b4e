import Core
import FakeExporter
import Foundation
import Host
import TestKit
import Testing
import WireFormats

@testable import Daemon

@Suite("reconcile")
struct ReconcileTests {
    static func snapshot(_ time: Timestamp, _ counters: [(String, UInt64)]) -> XraySnapshot {
        XraySnapshot(
            collectedAt: time, nodeID: "edge-1", env: "prod",
            samples: counters.map {
                XraySample(uuid: $0.0, email: "", inboundTag: "", uplinkBytesTotal: $0.1, downlinkBytesTotal: $0.1 * 2)
            })
    }

    /// What an exporter_pull source reads from the snapshots (`ReconcilableSource.observations`).
    static func observations(_ snapshots: [XraySnapshot]) -> [Observation] {
        var out: [Observation] = []
        for snapshot in snapshots { XraySnapshotDecoder.appendObservations(of: snapshot, source: "s", to: &out) }
        return out
    }

    static let t0 = Timestamp(secondsSinceEpoch: 1_767_225_600)
    static func minute(_ m: Int64) -> Timestamp { t0.adding(nanoseconds: m * Timestamp.nanosecondsPerMinute) }

    @Test("increases per minute: the first snapshot is the starting point, a drop is a restart from zero")
    func expectedIncreases() throws {
        let snapshots = [
            Self.snapshot(Self.minute(2), [("a", 150)]),  // out of order on purpose
            Self.snapshot(Self.minute(0), [("a", 100), ("b", 7)]),
            Self.snapshot(Self.minute(1), [("a", 120), ("b", 9)]),
            Self.snapshot(Self.minute(3), [("a", 30), ("b", 10)]),  // a restarted
        ]
        let expected = try #require(try Reconciliation.expected(Self.observations(snapshots), perMinute: true))
        #expect(expected.first == Self.minute(0))
        #expect(expected.last == Self.minute(3))
        let up = XrayMetrics.uplink
        func key(_ subject: String, _ m: Int64) -> Reconciliation.Key {
            .init(subject: subject, metric: up, minute: Self.minute(m))
        }
        #expect(expected.increases[key("a", 1)] == 20)
        #expect(expected.increases[key("a", 2)] == 30)
        #expect(expected.increases[key("a", 3)] == 30)
        #expect(expected.increases[key("b", 1)] == 2)
        #expect(expected.increases[key("b", 3)] == 1)  // b skipped minute 2: the increase lands at 3
        #expect(expected.increases[key("a", 0)] == nil)
        let totals = try #require(try Reconciliation.expected(Self.observations(snapshots), perMinute: false))
        #expect(totals.increases[.init(subject: "a", metric: up, minute: nil)] == 80)
    }

    @Test("differences list every disagreeing key, a missing side counting as 0")
    func differences() {
        let k1 = Reconciliation.Key(subject: "a", metric: "m", minute: Self.minute(1))
        let k2 = Reconciliation.Key(subject: "a", metric: "m", minute: Self.minute(2))
        let k3 = Reconciliation.Key(subject: "b", metric: "m", minute: Self.minute(2))
        let found = Reconciliation.differences(
            ledger: [k1: "20", k2: "31", k3: "0"], expected: [k1: 20, k2: 30])
        #expect(found == [.init(subject: "a", metric: "m", minute: Self.minute(2), ledger: "31", exporter: "30")])
        let missing = Reconciliation.differences(ledger: [:], expected: [k1: 5])
        #expect(missing.map(\.ledger) == ["0"])
    }

    /// Snapshots of the last half hour (the pull source reads the window up to now).
    static func recentSnapshots() -> [XraySnapshot] {
        let now = SystemClock().now().minuteStart
        return (0..<20).map { i in
            let time = now.adding(nanoseconds: Int64(i - 22) * Timestamp.nanosecondsPerMinute)
            return snapshot(time, [("acct-1", UInt64(1_000 + i * 17)), ("acct-2", UInt64(5_000 + i * i))])
        }
    }

    static func config(port: Int) -> String {
        """
        version: 1
        state:
          store: postgres
        sources:
          edge:
            type: exporter_pull
            base_url: http://127.0.0.1:\(port)
            allow_insecure_http: true
            initial_lookback: 1h
            settle_delay: 0s
            interval: 1h
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [edge]
            sinks: [ledger]
        service:
          listen: 127.0.0.1:0
          jitter_percent: 0
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:read, billing:admin]
        """
    }

    @Test("after a collection the ledger matches the exporter; a changed minute is listed with both values")
    func againstTheLedger() async throws {
        try await UsageTests.withLedger("daemon_reconcile") { database in
            let server = FakeExporterServer(
                scenario: FakeExporterScenario(nodeID: "edge-1", env: "prod", snapshots: Self.recentSnapshots()),
                token: nil)
            try await server.withRunning { port in
                let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": "r-ops-5e1b7c3a9d20"]
                try await DaemonHarness.run(config: Self.config(port: port), environment: environment) { d in
                    // jitter 0: the scheduled collection runs at start.
                    let collected = try await d.request("POST", "/v1/jobs/collect", token: "r-ops-5e1b7c3a9d20")
                    #expect(collected.status == 200, "\(collected.body)")
                    let since = SystemClock().now().adding(.seconds(-3600)).rfc3339(fractionalDigits: .none)
                    let first = try await d.request(
                        "POST", "/v1/jobs/reconcile?since=\(since)", token: "r-ops-5e1b7c3a9d20")
                    #expect(first.status == 200, "\(first.body)")
                    #expect(first.json["status"] as? String == "ok", "\(first.body)")
                    let report = try #require((first.json["sources"] as? [[String: Any]])?.first)
                    #expect(report["matches"] as? Bool == true)
                    #expect(report["difference_count"] as? Int == 0)

                    try await TestDatabase.psql(
                        database.url,
                        "UPDATE billing.minute_totals SET quantity = quantity + 5 WHERE (series_id, minute) IN "
                            + "(SELECT series_id, minute FROM billing.minute_totals WHERE subject = 'acct-1' "
                            + "AND metric = 'traffic.uplink_bytes' ORDER BY minute LIMIT 1)")
                    let second = try await d.request(
                        "POST", "/v1/jobs/reconcile?since=\(since)", token: "r-ops-5e1b7c3a9d20")
                    #expect(second.json["status"] as? String == "partial", "\(second.body)")
                    let changed = try #require((second.json["sources"] as? [[String: Any]])?.first)
                    #expect(changed["matches"] as? Bool == false)
                    #expect(changed["difference_count"] as? Int == 1)
                    let difference = try #require((changed["differences"] as? [[String: Any]])?.first)
                    #expect(difference["subject"] as? String == "acct-1")
                    #expect(difference["ledger"] as? String == "22")
                    #expect(difference["exporter"] as? String == "17")
                }
            }
        }
    }
}
