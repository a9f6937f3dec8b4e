import Core
import FakeExporter
import Foundation
import Logging
import Metrics
import Rating
import Synchronization
import TestKit
import WireFormats
import YAMLConfig

@testable import ExporterPull
@testable import Host

/// Keeps every fact written, in order.
final class MemorySink: FactSink {
    let id = "memory"
    private let stored = Mutex<[UsageFact]>([])
    var facts: [UsageFact] { stored.withLock { $0 } }
    func open(pipeline: String, lastCommittedSequence: UInt64) async throws {}
    func write(_ batch: FactBatch) async throws { stored.withLock { $0.append(contentsOf: batch.facts) } }
    /// The pull tests' pipelines never fail a write, so there is nothing to undo.
    func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {}
    func close() async throws {}
}

enum Scenario {
    /// 2026-01-01T00:00:00Z
    static let start = Timestamp(secondsSinceEpoch: 1_767_225_600)
    static let minute = Timestamp.nanosecondsPerMinute

    static func at(minutes: Int64) -> Timestamp { start.adding(nanoseconds: minutes * minute) }

    /// One node, `subjects` accounts, one snapshot a minute for `minutes` minutes; the
    /// counters grow by deterministic amounts, and `resetAt` (minute) drops subject 0 to 500.
    static func snapshots(minutes: Int, subjects: Int = 3, resetAt: Int? = nil, node: String = "edge-1")
        -> [XraySnapshot]
    {
        var up = [UInt64](repeating: 1_000, count: subjects)
        var down = [UInt64](repeating: 5_000, count: subjects)
        var out: [XraySnapshot] = []
        for m in 0..<minutes {
            var samples: [XraySample] = []
            for s in 0..<subjects {
                if m == resetAt && s == 0 {
                    up[s] = 500
                    down[s] = 700
                } else if m > 0 {
                    up[s] += UInt64(100 + (m * 7 + s * 13) % 50)
                    down[s] += UInt64(1_000 + (m * 11 + s * 3) % 400)
                }
                samples.append(
                    XraySample(
                        uuid: "00000000-0000-0000-0000-00000000000\(s)", email: "u\(s)@example.com",
                        inboundTag: s == 1 ? "vless-in" : "", uplinkBytesTotal: up[s], downlinkBytesTotal: down[s]))
            }
            // Some instants carry nanoseconds, as real exporters do.
            let time = at(minutes: Int64(m)).adding(nanoseconds: m % 3 == 0 ? 0 : 123_456_789)
            out.append(XraySnapshot(collectedAt: time, nodeID: node, env: "production", samples: samples))
        }
        return out
    }

    static func fake(minutes: Int, resetAt: Int? = nil, token: String? = "s3cret") -> FakeExporterServer {
        FakeExporterServer(
            scenario: FakeExporterScenario(
                nodeID: "edge-1", env: "production", snapshots: snapshots(minutes: minutes, resetAt: resetAt)),
            token: token, logger: quietLogger)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "fake-exporter")
        logger.logLevel = .critical
        return logger
    }
}

/// A pipeline of one exporter_pull source (one-shot) into a memory sink, with a
/// file state store in a temp dir; each `collect()` is one `billing-service collect`.
final class PullHarness: Sendable {
    let clock: SettableClock
    let temporary: TemporaryDirectory
    var directory: String { temporary.path }
    let sink = MemorySink()
    let source: ExporterPullSource

    init(port: Int, clock: SettableClock, configure: (inout ExporterPullSettings) -> Void = { _ in }) throws {
        self.clock = clock
        temporary = try TemporaryDirectory("exporter-pull")
        var settings = ExporterPullSettings(
            baseURL: "http://127.0.0.1:\(port)", token: .environment("PULL_TOKEN"), expectedNodeID: "edge-1",
            expectedEnv: "production", timeout: .seconds(5), allowInsecureHTTP: true, attempts: 2,
            retryBackoff: .milliseconds(10))
        configure(&settings)
        source = ExporterPullSource(
            id: "edge", settings: settings, context: Self.context(clock: clock), mode: .oneShot)
    }

    static func context(clock: any WallClock, base: String = ".") -> PluginContext {
        var logger = Logger(label: "exporter-pull-test")
        logger.logLevel = .critical
        return .testing(clock: clock, baseDirectory: base, environment: ["PULL_TOKEN": "s3cret"], logger: logger)
    }

    var store: FileStateStore { FileStateStore(directory: directory + "/state") }

    /// One collection at `now`; returns the run's summary.
    @discardableResult
    func collect(at now: Timestamp) async throws -> PipelineSummary {
        clock.set(now)
        let pipeline = HostConfiguration.Pipeline(id: "pull", sources: [source.oneShot()], sinks: [sink])
        let runner = PipelineEngine.finite(
            pipeline: pipeline, store: store, rater: nil, clock: clock, logger: source.context.logger)
        return try await runner.runToEnd()
    }

    func sourceState() async throws -> SourceState? {
        try await store.load(pipeline: "pull").sources["edge"]
    }

    func cursor() async throws -> Timestamp? {
        try await sourceState()?.cursor.map { try $0.decode(as: ExporterPullCursor.self).until }
    }

    deinit { temporary.remove() }
}

/// Facts compared by what finance sees: identity, series, minute, quantity, flags.
struct FactKey: Hashable, Comparable {
    var id: String
    var minute: Int64
    var quantity: UInt64
    var flags: UInt8

    init(_ fact: UsageFact) {
        id = "\(fact.id)"
        minute = fact.minute.nanosecondsSinceEpoch
        quantity = fact.quantity
        flags = fact.flags.rawValue
    }

    static func < (a: FactKey, b: FactKey) -> Bool { (a.minute, a.id) < (b.minute, b.id) }
}

func totals(_ facts: [UsageFact]) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for fact in facts { out[fact.series.subject + " " + fact.series.metric, default: 0] += fact.quantity }
    return out
}
