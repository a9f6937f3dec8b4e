import AuditLog
import Core
import Foundation
import Host
import TestKit
import Testing

@testable import Daemon

/// Issue 12, item 2: a batch the audit sink wrote but the ledger refused must
/// leave the audit file and the ledger holding the same facts, once each.
@Suite("a failed batch is rolled back in every sink")
struct FailedBatchTests {
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
          audit:
            type: jsonl_audit
            path: var/audit
            fsync: false
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [edge_push]
            sinks: [audit, ledger]
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: pusher
              token_env: PUSH_TOKEN
              scopes: [ingest]
        """
    static let pushToken = "push-token-for-failed-batch-tests"

    /// A trigger that makes the ledger refuse any fact of subject `poison`, the
    /// way a constraint or a full disk refuses a write the audit file already has.
    static let poison = """
        CREATE FUNCTION billing.poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.subject = 'poison' THEN RAISE EXCEPTION 'the test refuses subject poison'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER poison BEFORE INSERT ON billing.usage_facts FOR EACH ROW EXECUTE FUNCTION billing.poison();
        """

    /// One snapshot line `minute` minutes after `base`, one sample per (uuid, uplink total).
    static func snapshot(_ base: Timestamp, minute: Int64, _ samples: [(String, UInt64)]) -> String {
        let time = base.adding(nanoseconds: minute * Timestamp.nanosecondsPerMinute)
        let items = samples.map { uuid, up in
            #"{"uuid":"\#(uuid)","email":"\#(uuid)@example.com","inbound_tag":"","uplink_bytes_total":\#(up),"downlink_bytes_total":7}"#
        }
        return
            #"{"collected_at":"\#(time.rfc3339())","node_id":"edge-1","env":"prod","samples":[\#(items.joined(separator: ","))]}"#
    }

    @Test("the ledger refuses a batch the audit file has: both end with the same facts, and verify holds")
    func auditFollowsTheLedger() async throws {
        try await UsageTests.withLedger("daemon_failed_batch") { database in
            try await TestDatabase.psql(database.url, Self.poison)
            let environment = ["LEDGER_URL": database.url, "PUSH_TOKEN": Self.pushToken]
            // Recent minutes, so the snapshots are inside every source's clock window.
            let now = SystemClock().now()
            let base = Timestamp(
                nanosecondsSinceEpoch: now.minuteStart.nanosecondsSinceEpoch - 30 * Timestamp.nanosecondsPerMinute)
            let directory = try DaemonHarness.temporaryDirectory()
            try await DaemonHarness.run(config: Self.config, environment: environment, directory: directory) { d in
                func push(_ lines: [String]) async throws -> DaemonHarness.Reply {
                    try await d.request(
                        "POST", "/v1/ingest/snapshots", token: Self.pushToken, body: lines.joined(separator: "\n"))
                }
                let first = try await push(
                    (0..<3).map { Self.snapshot(base, minute: $0, [("u-1", UInt64(1_000 * ($0 + 1)))]) })
                #expect(first.status == 200, "\(first.body)")
                let poisoned = [Self.snapshot(base, minute: 3, [("u-1", 4_500), ("poison", 900)])]
                let refused = try await push(poisoned)
                #expect((500..<600).contains(refused.status), "\(refused.body)")
                // The next, different body reuses the failed batch's sequence.
                let next = try await push([Self.snapshot(base, minute: 4, [("u-1", 6_000), ("u-2", 50)])])
                #expect(next.status == 200, "\(next.body)")
                try await TestDatabase.psql(database.url, "DROP TRIGGER poison ON billing.usage_facts")
                let retried = try await push(poisoned)
                #expect(retried.status == 200, "\(retried.body)")
            }

            // The audit file's usage lines, read as plain JSON (independent of the sink's reader).
            let auditDirectory = directory + "/var/audit"
            _ = try AuditVerifier.verify(path: auditDirectory)
            var audited: [String] = []
            var auditedQuantity: [String: UInt64] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: auditDirectory).sorted() {
                let text = try String(contentsOfFile: auditDirectory + "/" + name, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    guard object["kind"] as? String == "usage" else { continue }
                    audited.append(try #require(object["fact_id"] as? String))
                    let key = "\(object["subject"] ?? "")|\(object["metric"] ?? "")"
                    auditedQuantity[key, default: 0] += UInt64(object["quantity"] as? String ?? "") ?? 0
                }
            }
            let ledger = try await TestDatabase.rows(
                database.url, "SELECT fact_id FROM billing.usage_facts ORDER BY fact_id")
            #expect(!ledger.isEmpty)
            #expect(audited.sorted() == ledger, "audit and ledger hold different facts")
            #expect(Set(audited).count == audited.count, "a fact is in the audit file twice")
            let totals = try await TestDatabase.rows(
                database.url,
                "SELECT concat_ws('|', subject, metric, sum(quantity)) FROM billing.minute_totals GROUP BY subject, metric ORDER BY 1"
            )
            #expect(totals == auditedQuantity.map { "\($0.key)|\($0.value)" }.sorted())
            // u-1's uplink is its last total exactly: nothing lost, nothing twice.
            #expect(auditedQuantity["u-1|traffic.uplink_bytes"] == 6_000)
            #expect(auditedQuantity["poison|traffic.uplink_bytes"] == 900)
        }
    }
}
