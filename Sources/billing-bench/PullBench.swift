import Core
import ExporterPull
import FakeExporter
import Foundation
import Host
import Logging
import Synchronization
import WireFormats

/// Issue 5: one collection cycle of many exporter_pull sources on loopback, each
/// exporter serving `accounts` accounts a minute, next to replaying the same
/// snapshots with file_replay through the same pipeline in the same run. Both
/// write to a sink that only counts, so the figure is the pull (HTTP, decoding,
/// metering), not a sink. The exporters run in this process (sharing its two
/// cores), all serving the same two snapshots; each source is its own series.
enum PullBench {
    /// Counts facts; the sink of both runs.
    final class CountingSink: FactSink {
        let id = "count"
        private let counted = Mutex(0)
        var facts: Int { counted.withLock { $0 } }
        func open(pipeline: String, lastCommittedSequence: UInt64) async throws {}
        func write(_ batch: FactBatch) async throws { counted.withLock { $0 += batch.facts.count } }
        /// A benchmark run never rolls back (its writes do not fail).
        func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {}
        func close() async throws {}
    }

    static func run(sources count: Int, accounts: Int) async throws {
        let now = SystemClock().now()
        // Two snapshots a minute apart, settled (now − settle_delay is after both).
        let snapshots = (0..<2).map { m in snapshot(minute: m, accounts: accounts, now: now) }
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var encoder = FixtureLineEncoder()
        var fixture: [UInt8] = []
        for snapshot in snapshots { encoder.appendLine(snapshot, to: &fixture) }
        try Data(fixture).write(to: URL(fileURLWithPath: dir + "/node.jsonl"))

        var logger = Logger(label: "fake-exporter")
        logger.logLevel = .critical
        let server = FakeExporterServer(
            scenario: FakeExporterScenario(nodeID: "edge", env: "production", snapshots: snapshots), token: nil,
            logger: logger)
        let rssBefore = Bench.procStatus("VmRSS")
        let (pull, pullSeconds) = try await server.withRunning(copies: count) { ports in
            let sources = ports.enumerated().map { index, port in
                "  n\(index): { type: exporter_pull, base_url: \"http://127.0.0.1:\(port)\", allow_insecure_http: true, "
                    + "initial_lookback: 10m, timeout: 60s, connect_timeout: 30s, max_body_bytes: 64MiB }"
            }
            return try await Bench.time { try await cycle(sources: sources, dir: dir + "/pull") }
        }
        let peak = Bench.procStatus("VmHWM")
        let replaySources = (0..<count).map { index in
            "  n\(index): { type: file_replay, path: node.jsonl, format: xray_snapshots }"
        }
        let (replay, replaySeconds) = try await Bench.time {
            try await cycle(sources: replaySources, dir: dir + "/replay")
        }
        guard pull.facts == replay.facts, pull.observations == replay.observations, pull.facts > 0 else {
            throw BenchError(
                message:
                    "pull gave \(pull.observations) obs / \(pull.facts) facts, replay \(replay.observations) / \(replay.facts)"
            )
        }
        Bench.row(
            "pull cycle: \(count) sources x \(accounts) accounts", String(format: "%.2f s", pullSeconds), "< 10 s",
            String(
                format:
                    "file_replay of the same snapshots: %.2f s (pull %.2fx); %d obs, %d facts; peak RSS %d MB (%d MB before)",
                replaySeconds, pullSeconds / replaySeconds, pull.observations, pull.facts, peak >> 20, rssBefore >> 20))
    }

    /// The snapshot of minute `m` (0 or 1), three and two minutes before `now`.
    static func snapshot(minute m: Int, accounts: Int, now: Timestamp) -> XraySnapshot {
        var samples: [XraySample] = []
        samples.reserveCapacity(accounts)
        for a in 0..<accounts {
            let up = UInt64(1_000_000 + a * 97 + m * 5_000)
            let down = UInt64(9_000_000 + a * 991 + m * 70_000)
            samples.append(
                XraySample(
                    uuid: String(format: "3f1c2a9e-0000-4000-8000-%012d", a), email: "user\(a)@example.com",
                    inboundTag: a % 3 == 0 ? "" : "vless-in", uplinkBytesTotal: up, downlinkBytesTotal: down))
        }
        let time = now.adding(nanoseconds: Int64(m - 3) * Timestamp.nanosecondsPerMinute)
        return XraySnapshot(collectedAt: time, nodeID: "edge", env: "production", samples: samples)
    }

    /// One run of a pipeline of `sources` (one-shot) into a counting sink.
    static func cycle(sources: [String], dir: String) async throws -> (observations: Int, facts: Int) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/../node.jsonl", toPath: dir + "/node.jsonl")
        let ids = (0..<sources.count).map { "n\($0)" }.joined(separator: ", ")
        let yaml = """
            version: 1
            state: { store: file, path: state }
            sources:
            \(sources.joined(separator: "\n"))
            sinks: { a: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [\(ids)], sinks: [a] } }
            """
        var configuration = try Bench.configuration(yaml, base: dir)
        let sink = CountingSink()
        configuration.pipelines[0].sinks = [sink]
        // What `billing-service collect` runs: each pull source once, caught up to now.
        configuration.pipelines[0].sources = configuration.pipelines[0].sources.map {
            ($0 as? ExporterPullSource)?.oneShot() ?? $0
        }
        let host = PipelineHost(configuration: configuration, context: Bench.context(base: dir))
        guard case .success(let summary)? = await host.runAll().first, summary.failures.isEmpty else {
            throw BenchError(message: "a pipeline failed")
        }
        return (summary.observations, sink.facts)
    }
}
