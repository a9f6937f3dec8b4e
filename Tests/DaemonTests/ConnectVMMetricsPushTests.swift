import Core
import Foundation
import TestKit
import Testing

@testable import Daemon

/// metald's and the collector's Connect RPC through a real daemon into the real
/// PostgreSQL ledger, driven by the official Python Connect client (`connectrpc`,
/// stubs generated from proto/billing/v1/billing.proto by scripts/python-env.sh).
@Suite(
    "connect_vm_metrics over HTTP with the Python Connect client")
struct ConnectVMMetricsPushTests {
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          vm:
            type: connect_vm_metrics
            max_age: none
            initial_sync: bill_from_zero
            max_body_bytes: 64KiB
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [vm]
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
    static let ops = "ops-secret-5b1e-77aa"
    static let pusher = "push-secret-c0ffee-42"

    /// A ledger of its own and a daemon on it with `config`: the harness, its base URL and the database.
    static func withDaemon(
        _ label: String, config: String = config,
        _ body: @Sendable @escaping (DaemonHarness, String, TestDatabase) async throws -> Void
    ) async throws {
        try await UsageTests.withLedger(label) { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": ops, "PUSH_TOKEN": pusher]
            try await DaemonHarness.run(config: config, environment: environment) { d in
                try await body(d, "http://127.0.0.1:\(d.port)", database)
            }
        }
    }

    /// 2026-01-01T00:00:00Z, the first reading of every batch.
    static let first: Int64 = 1_767_225_600

    @Test("JSON and binary, gzip on and off: each batch lands in the ledger once; a replay changes nothing")
    func unary() async throws {
        try await Self.withDaemon("connect_unary") { d, url, database in
            var vm = 0
            for codec in ["json", "proto"] {
                for gzip in ["on", "off"] {
                    vm += 1
                    let answer = try await ConnectPeer.run(
                        url, Self.pusher, codec, gzip, "send-batch", "vm-\(vm)", "cust-1", "\(Self.first)", "3")
                    #expect(answer.first?["success"] as? Bool == true, "\(codec) gzip \(gzip): \(answer)")
                }
            }
            // bill_from_zero: each VM's cpu readings 1e9, 2e9, 3e9 bill 3e9 ns.
            let cpu = try await TestDatabase.rows(
                database.url,
                "SELECT sum(quantity)::text FROM billing.usage_facts WHERE metric = 'vm.cpu_time_ns' AND subject = 'cust-1'"
            )
            #expect(cpu == ["12000000000"])
            let replay = try await ConnectPeer.run(
                url, Self.pusher, "proto", "on", "send-batch", "vm-1", "cust-1", "\(Self.first)", "3")
            #expect(replay.first?["success"] as? Bool == true)
            let again = try await TestDatabase.rows(
                database.url,
                "SELECT sum(quantity)::text FROM billing.usage_facts WHERE metric = 'vm.cpu_time_ns' AND subject = 'cust-1'"
            )
            #expect(again == ["12000000000"])
            let usage = try await ConnectPeer.run(
                url, Self.ops, "json", "on", "usage", "cust-1", "\(Self.first - 3600)", "\(Self.first + 3600)")
            let rows = usage.first?["usage"] as? [[String: Any]] ?? []
            let cpuRows = rows.filter { $0["metric"] as? String == "vm.cpu_time_ns" }
            #expect(cpuRows.compactMap { $0["quantity"] as? String } == ["12000000000"], "\(usage)")
        }
    }

    @Test("StreamLiveUsage: the Python client receives an update when a batch of the customer commits")
    func liveUsage() async throws {
        try await Self.withDaemon("connect_stream") { d, url, database in
            for gzip in ["on", "off"] {
                let stream = try ConnectPeer.start(url, Self.ops, "proto", gzip, "stream", "cust-\(gzip)", "1")
                #expect(await stream.readLine()?["open"] as? Bool == true)
                try await Task.sleep(for: .milliseconds(500))
                _ = try await ConnectPeer.run(
                    url, Self.pusher, "json", "off", "send-batch", "vm-s-\(gzip)", "cust-\(gzip)", "\(Self.first)",
                    "2")
                let update = await stream.readLine()
                #expect(update?["customerId"] as? String == "cust-\(gzip)", "\(String(describing: update))")
                let rows = update?["usage"] as? [[String: Any]] ?? []
                let cpu = rows.filter { $0["metric"] as? String == "vm.cpu_time_ns" }
                    .compactMap { Int($0["quantity"] as? String ?? "") }.reduce(0, +)
                #expect(cpu == 2_000_000_000)
                #expect(await stream.wait() == 0)
            }
        }
    }

    @Test(
        "bad input through the daemon: unknown method 404, wrong codec 415, no ingest scope 403, over the limit 413")
    func badInput() async throws {
        try await Self.withDaemon("connect_bad") { d, url, database in
            let unknown = try await d.request(
                "POST", "/billing.v1.BillingService/Nope", token: Self.pusher, body: "{}",
                headers: [("Content-Type", "application/json")])
            #expect(unknown.status == 404)
            #expect(unknown.json["code"] as? String == "not_found")
            let codec = try await d.request(
                "POST", "/billing.v1.BillingService/SendMetricsBatch", token: Self.pusher, body: "x",
                headers: [("Content-Type", "text/plain")])
            #expect(codec.status == 415)
            let scope = try await ConnectPeer.run(
                "http://127.0.0.1:\(d.port)", Self.ops, "json", "off", "send-batch", "vm-x", "cust-x",
                "\(Self.first)", "1")
            #expect((scope.first?["error"] as? [String: Any])?["code"] as? String == "permission_denied")
            let big = try await d.request(
                "POST", "/billing.v1.BillingService/SendMetricsBatch", token: Self.pusher,
                body: "{\"vm_id\":\"" + String(repeating: "v", count: 70_000) + "\"}",
                headers: [("Content-Type", "application/json")])
            #expect(big.status == 413)
            let rows = try await TestDatabase.rows(database.url, "SELECT count(*)::text FROM billing.usage_facts")
            #expect(rows == ["0"])
        }
    }

    @Test("/v1/status shows a VM silent past stale_after without a stop, and one billed but never started")
    func staleInStatus() async throws {
        let config = Self.config.replacingOccurrences(
            of: "    max_body_bytes: 64KiB", with: "    max_body_bytes: 64KiB\n    stale_after: 3s")
        try await Self.withDaemon("connect_stale", config: config) { d, url, database in
            let sending = ContinuousClock.now
            let sent = try await ConnectPeer.run(
                url, Self.pusher, "json", "off", "send-batch", "vm-quiet", "cust-9", "\(Self.first)", "2")
            #expect(sent.first?["success"] as? Bool == true, "\(sent)")
            let fresh = try await d.request("GET", "/v1/status", token: Self.ops)
            let freshDetails = (fresh.json["sources"] as? [[String: Any]])?.first?["details"] as? [String: Any]
            // Not stale yet, when the status came back well within stale_after
            // (a loaded machine can take longer; the check after the wait holds regardless).
            if ContinuousClock.now - sending < .seconds(2) {
                #expect(freshDetails?["stale_vms"] as? [String] == [])
            }
            #expect(freshDetails?["billed_without_start"] as? [String] == ["vm-quiet"])
            #expect(freshDetails?["known_vms"] as? Int == 1)
            try await Task.sleep(for: .milliseconds(3_500))
            let later = try await d.request("GET", "/v1/status", token: Self.ops)
            let details = (later.json["sources"] as? [[String: Any]])?.first?["details"] as? [String: Any]
            #expect(details?["stale_vms"] as? [String] == ["vm-quiet"], "\(later.body)")
            #expect(details?["stale_after_seconds"] as? Int == 3)
            let metrics = try await d.request("GET", "/metrics")
            let gauge = metrics.body.split(separator: "\n").first {
                $0.hasPrefix(#"billing_connect_vm_stale_vms{source="vm"} "#)
            }
            #expect(gauge.flatMap { Double($0.split(separator: " ").last ?? "") } == 1, "\(metrics.body)")
        }
    }

    @Test("NotifyVmStarted and NotifyVmStopped keep the VM's activity span with the exact nanoseconds sent")
    func activitySpans() async throws {
        try await Self.withDaemon("connect_spans") { d, url, database in
            let start = "1767225600123456789"
            let stop = "1767229200987654321"
            for codec in ["json", "proto"] {
                let started = try await ConnectPeer.run(
                    url, Self.pusher, codec, "off", "started", "vm-span", "cust-span", start)
                #expect(started.first?["success"] as? Bool == true, "\(started)")
            }
            let open = try await TestDatabase.rows(
                database.url,
                "SELECT subject || ' ' || dimension_key || '=' || dimension_value || ' ' || start_ns || ' ' || coalesce(stop_ns::text, 'open') FROM billing.activity_spans"
            )
            #expect(open == ["cust-span vm_id=vm-span \(start) open"])
            for _ in 0..<2 {
                let stopped = try await ConnectPeer.run(url, Self.pusher, "proto", "on", "stopped", "vm-span", stop)
                #expect(stopped.first?["success"] as? Bool == true, "\(stopped)")
            }
            let closed = try await TestDatabase.rows(
                database.url, "SELECT start_ns || ' ' || stop_ns FROM billing.activity_spans")
            #expect(closed == ["\(start) \(stop)"])
        }
    }
}
