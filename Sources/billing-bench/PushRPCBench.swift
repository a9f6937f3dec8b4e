import ConnectVMMetrics
import Core
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import PostgresSink
import SwiftProtobuf

/// The two push upstreams of issue 15 into the PostgreSQL ledger over
/// loopback, with concurrent clients: metald's `SendMetricsBatch` (binary
/// Connect, one VM and its readings per request) and the AI platform's
/// `POST /api/v1/usage/records` (JSON arrays). Each figure is printed next to
/// the postgres sink's own bulk rate (50,000 facts per write, no HTTP, no
/// metering) for as many facts, measured in the same run.
///
/// Needs DATABASE_URL (a server where it may create a database; dropped at the end).
enum PushRPCBench {
    struct Plan {
        var clients = 32
        var requestsPerClient = 40
        /// Readings per `SendMetricsBatch` (one VM, a minute apart).
        var readingsPerRequest = 25
        /// Records per `POST /api/v1/usage/records`.
        var recordsPerRequest = 100
    }

    static let logger: Logger = {
        var logger = Logger(label: "billing-bench")
        logger.logLevel = .warning
        return logger
    }()

    static func run(plan: Plan, connect: Bool, records: Bool) async throws {
        guard let server = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw BenchError(message: "connect/records: set DATABASE_URL (scripts/bench.sh starts a server)")
        }
        if connect {
            try await withDatabase(server) { url in
                let facts = try await connectPhase(plan: plan, url: url)
                try await sinkBaseline(server: server, facts: facts)
            }
        }
        if records {
            try await withDatabase(server) { url in
                let facts = try await recordsPhase(plan: plan, url: url)
                try await sinkBaseline(server: server, facts: facts)
            }
        }
    }

    /// A fresh database on `server` with the ledger schema, dropped after `body`.
    static func withDatabase(_ server: String, _ body: (String) async throws -> Void) async throws {
        let name = "bench_push_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try Bench.timeShell("psql '\(server)' -qAt -c 'CREATE DATABASE \(name)' > /dev/null")
        defer { _ = try? Bench.timeShell("psql '\(server)' -qAt -c 'DROP DATABASE \(name) WITH (FORCE)' > /dev/null") }
        guard var components = URLComponents(string: server) else { throw BenchError(message: "bad DATABASE_URL") }
        components.path = "/" + name
        let url = components.string ?? server
        let ledger = LedgerDatabase(url: try DatabaseURL(parsing: url), logger: logger)
        _ = try await Migrator(database: ledger).migrate(now: Timestamp(secondsSinceEpoch: 1_767_225_600))
        await ledger.shutdown()
        try await body(url)
    }

    static func yaml(source: String) -> String {
        """
        version: 1
        state:
          store: postgres
        sources:
          push:
        \(source)
        sinks:
          ledger:
            type: postgres
            database_url_env: BENCH_LEDGER_URL
            pool_size: 8
        pipelines:
          main:
            sources: [push]
            sinks: [ledger]
        \(LoadBench.serviceYAML)
        """
    }

    // MARK: metald

    /// Request `round` of client `client`: its VM's next readings (cumulative counters, a gauge).
    static func metricsRequest(client: Int, round: Int, plan: Plan) throws -> ByteBuffer {
        var request = Billing_V1_SendMetricsBatchRequest()
        request.vmID = "vm-\(client)"
        request.customerID = "cust-\(client % 8)"
        let start: Int64 = 1_767_225_600
        request.metrics = (0..<plan.readingsPerRequest).map { i in
            let n = Int64(round * plan.readingsPerRequest + i)
            var m = Billing_V1_VMMetrics()
            m.timestamp = Google_Protobuf_Timestamp(seconds: start + 60 * n)
            m.cpuTimeNanos = 1_000_000_000 * (n + 1)
            m.memoryUsageBytes = 1 << 30
            m.diskReadBytes = 1_000 * (n + 1)
            m.diskWriteBytes = 2_000 * (n + 1)
            m.networkRxBytes = 3_000 * (n + 1)
            m.networkTxBytes = 4_000 * (n + 1)
            return m
        }
        let bytes: [UInt8] = try request.serializedBytes()
        return ByteBuffer(bytes: bytes)
    }

    static func connectPhase(plan: Plan, url: String) async throws -> Int {
        let source = """
                type: connect_vm_metrics
                initial_sync: bill_from_zero
                max_age: none
                max_body_bytes: 1MiB
            """
        let bodies = try (0..<plan.clients).map { client in
            try (0..<plan.requestsPerClient).map { try metricsRequest(client: client, round: $0, plan: plan) }
        }
        let facts = Counted()
        try await LoadBench.withDaemon(
            yaml: yaml(source: source), environment: ["BENCH_LEDGER_URL": url, "BENCH_TOKEN": LoadBench.token],
            logger: logger
        ) { port in
            let (latencies, seconds) = try await send(
                bodies, port: port, uri: "/billing.v1.BillingService/SendMetricsBatch",
                headers: [("Content-Type", "application/proto"), ("Connect-Protocol-Version", "1")])
            let samples = plan.clients * plan.requestsPerClient * plan.readingsPerRequest
            let written = try await count(url)
            facts.set(written)
            LoadBench.report(
                "SendMetricsBatch (Connect, application/proto) → postgres, \(plan.clients) clients × \(plan.requestsPerClient) requests × \(plan.readingsPerRequest) readings",
                "\(Bench.format(Double(samples) / seconds)) samples/s (\(Bench.format(Double(written) / seconds)) facts/s, \(written) facts); request p50 \(LoadBench.millis(LoadBench.percentile(latencies, 0.5))), p99 \(LoadBench.millis(LoadBench.percentile(latencies, 0.99)))",
                "≥ 10,000 samples/s and ≥ 0.6× the sink's own facts/s (below)")
        }
        return facts.value
    }

    // MARK: usage records

    static func recordsRequest(client: Int, round: Int, plan: Plan) -> ByteBuffer {
        var text = "["
        for i in 0..<plan.recordsPerRequest {
            if i > 0 { text += "," }
            let n = round * plan.recordsPerRequest + i
            let second = n % 3_600
            let time = String(format: "2026-01-01T%02d:%02d:%02dZ", second / 3_600, (second / 60) % 60, second % 60)
            text +=
                #"{"user_id":"user-\#(client)","product_id":"gpt-4","service_type":"model_inference","usage_amount":"\#(1 + n % 997)","billing_method":"wallet_deduction","request_id":"req-\#(client)-\#(n)","usage_timestamp":"\#(time)"}"#
        }
        return ByteBuffer(string: text + "]")
    }

    static func recordsPhase(plan: Plan, url: String) async throws -> Int {
        let source = """
                type: usage_records
                max_age: none
                max_body_bytes: 1MiB
                service_types:
                  model_inference: { metric: ai.model_inference_tokens, unit_scale: 1 }
            """
        let bodies = (0..<plan.clients).map { client in
            (0..<plan.requestsPerClient).map { recordsRequest(client: client, round: $0, plan: plan) }
        }
        let facts = Counted()
        try await LoadBench.withDaemon(
            yaml: yaml(source: source), environment: ["BENCH_LEDGER_URL": url, "BENCH_TOKEN": LoadBench.token],
            logger: logger
        ) { port in
            let (latencies, seconds) = try await send(
                bodies, port: port, uri: "/api/v1/usage/records", headers: [("Content-Type", "application/json")])
            let records = plan.clients * plan.requestsPerClient * plan.recordsPerRequest
            let written = try await count(url)
            facts.set(written)
            LoadBench.report(
                "usage records (JSON arrays of \(plan.recordsPerRequest)) → postgres, \(plan.clients) clients × \(plan.requestsPerClient) requests",
                "\(Bench.format(Double(records) / seconds)) records/s (\(Bench.format(Double(written) / seconds)) facts/s, \(written) facts); request p50 \(LoadBench.millis(LoadBench.percentile(latencies, 0.5))), p99 \(LoadBench.millis(LoadBench.percentile(latencies, 0.99)))",
                "≥ 20,000 records/s and ≥ 0.6× the sink's own facts/s (below)")
        }
        return facts.value
    }

    // MARK: Shared

    /// A count set inside a `@Sendable` body and read after it.
    final class Counted: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = 0
        func set(_ value: Int) { lock.withLock { stored = value } }
        var value: Int { lock.withLock { stored } }
    }

    /// Every client sends its bodies in order on its own keep-alive connection; all latencies and the wall time.
    static func send(
        _ bodies: [[ByteBuffer]], port: Int, uri: String, headers: [(String, String)]
    ) async throws -> ([Double], Double) {
        try await Bench.time {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for client in bodies.indices {
                    let mine = bodies[client]
                    group.addTask {
                        try await LoopbackHTTPConnection.with(port: port) { connection in
                            var latencies: [Double] = []
                            for body in mine {
                                let start = ContinuousClock.now
                                let response = try await connection.send(
                                    .POST, uri, headers: [("Authorization", "Bearer " + LoadBench.token)] + headers,
                                    body: body)
                                latencies.append(Bench.seconds(ContinuousClock.now - start))
                                guard response.status == .ok else {
                                    throw BenchError(message: "POST \(uri) answered \(response.status.code)")
                                }
                            }
                            return latencies
                        }
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all
            }
        }
    }

    static func count(_ url: String) async throws -> Int {
        let database = LedgerDatabase(url: try DatabaseURL(parsing: url), logger: logger)
        do {
            let facts = try await LedgerBench.integer(database, "SELECT count(*) FROM billing.usage_facts")
            await database.shutdown()
            return facts
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// The postgres sink writing `facts` new facts in batches of 50,000 (the
    /// bulk rate the daemon's figure is held against).
    static func sinkBaseline(server: String, facts: Int) async throws {
        let url = try DatabaseURL(parsing: server)
        try await LedgerBench.withSchema(url, prefix: "bench_push_sink") { database in
            let made = LedgerBench.makeFacts(count: facts)
            let batchSize = 50_000
            let batches = stride(from: 0, to: made.count, by: batchSize).enumerated().map { index, start in
                LedgerBench.batch(Array(made[start..<min(start + batchSize, made.count)]), sequence: UInt64(index + 1))
            }
            let sink = PostgresSink(id: "ledger", database: database)
            try await sink.open(pipeline: "bench", lastCommittedSequence: 0)
            let (_, seconds) = try await Bench.time {
                for batch in batches { try await sink.write(batch) }
            }
            LoadBench.report(
                "    baseline: the postgres sink's own bulk write of \(facts) facts (50K per batch, same server)",
                "\(Bench.format(Double(facts) / seconds)) facts/s", "")
        }
    }
}
