import Core
import Daemon
import Foundation
import Host
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import PostgresSink
import Prometheus
import ServiceLifecycle
import YAMLConfig

/// The daemon under load on loopback, against the real PostgreSQL ledger:
/// push ingest (samples/s over HTTP, request latency) and `GET /v1/usage`
/// under 200 concurrent clients (latency percentiles).
///
/// Needs DATABASE_URL (a server where it may create a database); the database
/// it creates is dropped at the end. LOAD_LEDGER_URL instead names a database
/// to keep (`billing` schema): the generator fills it when it holds no November
/// facts, and later runs use it as it is. The client is `LoopbackHTTPConnection`,
/// one keep-alive connection per pusher or usage client.
enum LoadBench {
    struct Plan {
        /// Concurrent pushers, each one node.
        var pushers = 4
        /// Accounts per snapshot.
        var accounts = 2_500
        /// Snapshots (minutes) per pusher, one per request.
        var minutes = 60
        var usageClients = 200
        var usageRequestsPerClient = 20
        /// Facts generated into the ledger (November 2026) before the usage phase.
        var ledgerFacts = 10_000_000
    }

    static func run(plan: Plan) async throws {
        guard let server = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw BenchError(message: "load: set DATABASE_URL (scripts/pg-server.sh init DIR gives a server)")
        }
        let logger = {
            var logger = Logger(label: "billing-bench")
            logger.logLevel = .warning
            return logger
        }()

        // The HTTP, decoding and metering path with a local sink (fsync per batch).
        let auditYAML = """
            version: 1
            state:
              store: file
              path: var/state
            sources:
              edge_push:
                type: xray_push
                initial_sync: bill_from_zero
                max_age: none
            sinks:
              audit:
                type: jsonl_audit
                path: var/audit
                fsync: true
            pipelines:
              main:
                sources: [edge_push]
                sinks: [audit]
            \(serviceYAML)
            """
        if plan.pushers > 0 {
            try await withDaemon(yaml: auditYAML, environment: ["BENCH_TOKEN": LoadBench.token], logger: logger) {
                port in
                try await push(plan: plan, port: port, sink: "jsonl_audit (fsync)")
            }
        }

        // The production path: the PostgreSQL ledger, then usage queries on what was pushed.
        // LOAD_LEDGER_URL names a database to keep: filled on first use, used as it is after.
        let reused = ProcessInfo.processInfo.environment["LOAD_LEDGER_URL"]
        let name = "bench_load_\(UUID().uuidString.prefix(8).lowercased())"
        if reused == nil {
            _ = try Bench.timeShell("psql '\(server)' -qAt -c 'CREATE DATABASE \(name)' > /dev/null")
        }
        defer {
            if reused == nil {
                _ = try? Bench.timeShell("psql '\(server)' -qAt -c 'DROP DATABASE \(name) WITH (FORCE)' > /dev/null")
            }
        }
        guard var components = URLComponents(string: server) else { throw BenchError(message: "bad DATABASE_URL") }
        components.path = "/" + name
        let url = reused ?? components.string ?? server
        let ledger = LedgerDatabase(url: try DatabaseURL(parsing: url), logger: logger)
        _ = try await Migrator(database: ledger).migrate(now: Timestamp(secondsSinceEpoch: 1_767_225_600))
        await ledger.shutdown()
        let postgresYAML = """
            version: 1
            state:
              store: postgres
            sources:
              edge_push:
                type: xray_push
                initial_sync: bill_from_zero
                max_age: none
            sinks:
              ledger:
                type: postgres
                database_url_env: BENCH_LEDGER_URL
                pool_size: 8
            pipelines:
              main:
                sources: [edge_push]
                sinks: [ledger]
            \(serviceYAML)
            """
        let environment = ["BENCH_LEDGER_URL": url, "BENCH_TOKEN": LoadBench.token]
        try await withDaemon(yaml: postgresYAML, environment: environment, logger: logger) { port in
            try await push(plan: plan, port: port, sink: "postgres")
            // The usage phase reads a ledger of `ledgerFacts` more, in November 2026.
            let filler = LedgerDatabase(
                url: try DatabaseURL(parsing: url), options: PostgresConnectionOptions(poolSize: 8),
                logger: logger)
            do {
                _ = try await Migrator(database: filler).migrate(now: LedgerBench.november)
                var subjects = LedgerBench.subjects
                let filled = try await LedgerBench.integer(
                    filler,
                    "SELECT count(*) FROM (SELECT 1 FROM billing.usage_facts "
                        + "WHERE minute >= '2026-11-01T00:00:00Z' AND minute < '2026-12-01T00:00:00Z' LIMIT 1) AS f")
                if filled == 0 {
                    let fillSeconds: Double
                    (subjects, fillSeconds) = try await LedgerBench.fillLedger(
                        database: filler, facts: plan.ledgerFacts)
                    print("ledger: \(plan.ledgerFacts) facts generated in \(Int(fillSeconds)) s")
                }
                let facts = try await LedgerBench.integer(filler, "SELECT count(*) FROM billing.usage_facts")
                print("ledger for the usage phase: \(facts) facts")
                try await usage(
                    plan: plan, subjects: subjects, facts: facts, port: port, url: url, direct: filler)
            } catch {
                await filler.shutdown()
                throw error
            }
            await filler.shutdown()
        }
    }

    /// The bench client's bearer token (the daemon requires at least 16 bytes).
    static let token = "bench-token-0123456789"

    static let serviceYAML = """
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: bench
              token_env: BENCH_TOKEN
              scopes: [ingest, billing:read]
        """

    /// Runs the daemon of `yaml` in-process for the duration of `body` (given its port).
    static func withDaemon(
        yaml: String, environment: [String: String], logger: Logger,
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = PrometheusCollectorRegistry()
        let context = PluginContext(
            logger: logger, metrics: PrometheusMetricsFactory(registry: registry), clock: SystemClock(),
            baseDirectory: directory, environment: { environment[$0] })
        let node = try YAMLDocument.parse(yaml, file: "load.yaml")
        let configuration = try ConfigLoader(registry: .builtIn()).load(root: node, file: "load.yaml", context: context)
        let daemon = try BillingDaemon(
            configuration: configuration, context: context, registry: registry, logger: logger)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let group = daemon.serviceGroup(signals: false) { listener, port in
            if listener == .api { portSink.yield(port) }
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw BenchError(message: "the daemon did not listen") }
            for engine in daemon.roster.engines { _ = await engine.waitUntilReady() }
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// One snapshot of `accounts` samples of node `node` at `minute` past 2026-01-01T00:00Z.
    static func body(node: Int, minute: Int, accounts: Int) -> ByteBuffer {
        let time = Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(minute) * 60).rfc3339(fractionalDigits: .none)
        var text = #"{"collected_at":"\#(time)","node_id":"edge-\#(node)","env":"prod","samples":["#
        for account in 0..<accounts {
            let up = (minute + 1) * (1_000 + account % 97)
            let down = (minute + 1) * (20_000 + account % 89)
            if account > 0 { text += "," }
            text += #"{"uuid":"acct-\#(account)","email":"a\#(account)@example.com","inbound_tag":"","#
            text += #""uplink_bytes_total":\#(up),"downlink_bytes_total":\#(down)}"#
        }
        return ByteBuffer(string: text + "]}\n")
    }

    static func push(plan: Plan, port: Int, sink: String) async throws {
        guard plan.pushers > 0 else { return }  // LOAD_PUSHERS=0: the usage phase only
        let bodies = (0..<plan.pushers).map { node in
            (0..<plan.minutes).map { body(node: node, minute: $0, accounts: plan.accounts) }
        }
        let bytes = bodies.joined().reduce(0) { $0 + $1.readableBytes }
        let (latencies, seconds) = try await Bench.time {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for node in 0..<plan.pushers {
                    group.addTask {
                        try await LoopbackHTTPConnection.with(port: port) { connection in
                            var latencies: [Double] = []
                            for buffer in bodies[node] {
                                latencies.append(
                                    try await timed(.POST, "/v1/ingest/snapshots", body: buffer, on: &connection))
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
        let samples = plan.pushers * plan.minutes * plan.accounts
        report(
            "push ingest over HTTP → \(sink), \(plan.pushers) pushers × \(plan.minutes) snapshots × \(plan.accounts) samples (\(bytes / 1_000_000) MB)",
            "\(Bench.format(Double(samples) / seconds)) samples/s; request p50 \(millis(percentile(latencies, 0.5))), p99 \(millis(percentile(latencies, 0.99)))",
            "≥ 50,000 samples/s")
    }

    /// Sends one request with the bench's token and reads its whole response;
    /// the seconds it took. Any status but 200 is an error.
    static func timed(
        _ method: HTTPMethod, _ uri: String, body: ByteBuffer? = nil, on connection: inout LoopbackHTTPConnection
    ) async throws -> Double {
        let start = ContinuousClock.now
        let response = try await connection.send(
            method, uri, headers: [("Authorization", "Bearer " + LoadBench.token)], body: body)
        let seconds = Bench.seconds(ContinuousClock.now - start)
        guard response.status == .ok else {
            throw BenchError(message: "\(method) \(uri) answered \(response.status.code)")
        }
        guard response.bodyBytes > 0 else { throw BenchError(message: "\(method) \(uri) answered an empty body") }
        return seconds
    }

    /// The usage query of request `round` of client `worker`: one subject, one
    /// November day, by hour.
    static func usageQuery(plan: Plan, worker: Int, round: Int, subjects: Int) -> (subject: String, day: Int) {
        let index = worker * plan.usageRequestsPerClient + round
        return ("acct-\((index * 7_919) % subjects)", (index * 104_729) % 30)
    }

    /// `GET /v1/usage` from `usageClients` concurrent clients, next to the same
    /// queries run by as many concurrent tasks straight through `UsageQueryEngine`
    /// on a pool of the same size (`direct`): the database's share of the latency.
    static func usage(
        plan: Plan, subjects: Int, facts: Int, port: Int, url: String, direct: LedgerDatabase
    ) async throws {
        let november = LedgerBench.november
        @Sendable func bounds(_ day: Int) -> (Timestamp, Timestamp) {
            let start = november.adding(nanoseconds: Int64(day) * 86_400 * Timestamp.nanosecondsPerSecond)
            return (start, start.adding(nanoseconds: 86_400 * Timestamp.nanosecondsPerSecond))
        }
        let engine = UsageQueryEngine(database: direct)
        let (baseline, baselineSeconds) = try await concurrently(plan: plan) { worker in
            var latencies: [Double] = []
            for round in 0..<plan.usageRequestsPerClient {
                let (subject, day) = usageQuery(plan: plan, worker: worker, round: round, subjects: subjects)
                let (from, to) = bounds(day)
                let start = ContinuousClock.now
                let rows = try await engine.run(UsageQuery(subject: subject, from: from, to: to, granularity: .hour))
                guard !rows.isEmpty else { throw BenchError(message: "no usage for \(subject) on day \(day)") }
                latencies.append(Bench.seconds(ContinuousClock.now - start))
            }
            return latencies
        }
        let (latencies, seconds) = try await concurrently(plan: plan) { worker in
            try await LoopbackHTTPConnection.with(port: port) { connection in
                var latencies: [Double] = []
                for round in 0..<plan.usageRequestsPerClient {
                    let (subject, day) = usageQuery(plan: plan, worker: worker, round: round, subjects: subjects)
                    let (from, to) = bounds(day)
                    let uri =
                        "/v1/usage?subject=\(subject)&from=\(from.rfc3339(fractionalDigits: .none))"
                        + "&to=\(to.rfc3339(fractionalDigits: .none))&granularity=hour"
                    latencies.append(try await timed(.GET, uri, on: &connection))
                }
                return latencies
            }
        }
        let oneDay = UsageQuery(
            subject: "acct-0", from: november,
            to: november.adding(nanoseconds: 86_400 * Timestamp.nanosecondsPerSecond),
            granularity: .hour)
        let ceiling = try databaseCeiling(statement: engine.statement(for: oneDay).sql, url: url, subjects: subjects)
        func summary(_ values: [Double], _ seconds: Double) -> String {
            "p50 \(millis(percentile(values, 0.5))), p99 \(millis(percentile(values, 0.99))), "
                + "\(Bench.format(Double(values.count) / seconds)) req/s"
        }
        report(
            "GET /v1/usage (one subject, a day by hour), \(plan.usageClients) concurrent clients × \(plan.usageRequestsPerClient), ledger of \(facts / 1_000_000)M facts",
            summary(latencies, seconds),
            "p99 < 50 ms; baseline, the same queries from \(plan.usageClients) tasks straight through UsageQueryEngine "
                + "(pool of 8, no HTTP): \(summary(baseline, baselineSeconds)); " + ceiling)
    }

    /// The database's own ceiling for the usage statement: pgbench (a C client)
    /// sends the very text `UsageQueryEngine` prepares, with random subjects and
    /// November days, from 8 connections for 5 s on the same two cores. What is
    /// left between its rate and the API's is HTTP, the driver and the client.
    static func databaseCeiling(statement: String, url: String, subjects: Int) throws -> String {
        let bin = ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/pgbench") else {
            return "no pgbench in \(bin) (PG_BIN): no database ceiling"
        }
        let day = "(timestamptz '2026-11-01T00:00:00Z' + :day * interval '1 day')"
        let query = statement.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "$1", with: "('acct-' || :subject)")
            .replacingOccurrences(of: "$2", with: "\(day)::text")
            .replacingOccurrences(of: "$3", with: "(\(day) + interval '1 day')::text")
            .replacingOccurrences(of: "$4", with: "NULL")
            .replacingOccurrences(of: "$5", with: "'hour'")
            // No cursor, no limit: the first and only page.
            .replacingOccurrences(of: "$6", with: "NULL").replacingOccurrences(of: "$7", with: "NULL")
            .replacingOccurrences(of: "$8", with: "NULL").replacingOccurrences(of: "$9", with: "NULL")
        let script = "\\set subject random(0, \(subjects - 1))\n\\set day random(0, 29)\n\(query);\n"
        let directory = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/usage.sql"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let output = try Bench.shellOutput(
            "'\(bin)/pgbench' -n -M prepared -c 8 -j 2 -T 5 -f '\(file)' '\(url)' 2>&1",
            environment: ["PGOPTIONS": "-c search_path=billing"])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let rate = Double(line.dropFirst(6).prefix { $0 != " " })
        else { throw BenchError(message: "pgbench printed no rate:\n\(output)") }
        return "the database alone (pgbench -M prepared, the same statement, 8 connections, 5 s): "
            + "\(Bench.format(rate)) queries/s, at which 200 clients would wait \(millis(200 / rate)) on average"
    }

    /// Runs `body(worker)` for `usageClients` concurrent workers, each running its
    /// `usageRequestsPerClient` rounds in sequence; all latencies and the wall time.
    static func concurrently(plan: Plan, _ body: @escaping @Sendable (Int) async throws -> [Double])
        async throws -> ([Double], Double)
    {
        try await Bench.time {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for worker in 0..<plan.usageClients {
                    group.addTask { try await body(worker) }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all
            }
        }
    }

    /// One result in full (the table of `Bench.row` would cut these long lines).
    static func report(_ name: String, _ ours: String, _ target: String) {
        print("\(name)\n    ours: \(ours)\n    target: \(target)")
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func millis(_ seconds: Double) -> String {
        String(format: "%.1f ms", seconds * 1_000)
    }
}
