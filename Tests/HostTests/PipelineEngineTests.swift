import Core
import Foundation
import Logging
import Metrics
import Rating
import Synchronization
import TestKit
import Testing
import YAMLConfig

@testable import Host

/// The runner meters batch N+1 while batch N is written: what it commits must
/// still be exactly the batches every sink acknowledged, in order.
@Suite struct PipelineEngineTests {
    /// Records what it acknowledged; fails every write from `failFrom` on.
    final class RecordingSink: FactSink {
        let id = "recording"
        let failFrom: UInt64
        let written = Mutex<[UInt64]>([])

        init(failFrom: UInt64 = .max) { self.failFrom = failFrom }

        func open(pipeline: String, lastCommittedSequence: UInt64) async throws {}

        func write(_ batch: FactBatch) async throws {
            if batch.sequence >= failFrom {
                throw PluginError(.permanent, component: id, "refused batch \(batch.sequence)")
            }
            // Slower than metering, so the runner is always a batch ahead when this fails.
            try await Task.sleep(for: .milliseconds(20))
            written.withLock { $0.append(batch.sequence) }
        }

        func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {
            written.withLock { $0.removeAll { $0 > lastCommittedSequence } }
        }

        func close() async throws {}
    }

    static let yaml = """
        version: 1
        sources:
          synth:
            type: generator
            seed: 11
            subjects: 40
            nodes: 2
            families: [xray]
            start: "2026-11-01T00:00:00Z"
            interval: 1m
            duration: 30m
            batch_size: 100
            counter_reset: "0.01"
        sinks:
          unused: { type: jsonl_audit, path: unused }
        pipelines:
          p: { sources: [synth], sinks: [unused] }
        """

    static func source(in dir: TemporaryDirectory) throws -> any ObservationSource {
        let context = PluginContext.testing(clock: SystemClock(), baseDirectory: dir.path)
        let node = try YAMLDocument.parse(yaml, file: "runner.yaml")
        let configuration = try ConfigLoader(registry: .builtIn()).load(
            root: node, file: "runner.yaml", context: context)
        return try #require(configuration.sources.first?.source)
    }

    static func run(
        _ source: any ObservationSource, sink: RecordingSink, store: FileStateStore
    ) async throws -> PipelineSummary {
        let pipeline = HostConfiguration.Pipeline(id: "p", sources: [source], sinks: [sink])
        return try await PipelineEngine.finite(
            pipeline: pipeline, store: store, rater: nil, clock: SystemClock(),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        ).runToEnd()
    }

    /// The state after the first `count` batches, committed one at a time with
    /// no overlap (the daemon's path): the reference.
    static func sequentialState(_ source: any ObservationSource, batches count: Int, in dir: TemporaryDirectory)
        async throws -> PipelineState
    {
        let store = FileStateStore(directory: dir.file("reference"))
        let pipeline = HostConfiguration.Pipeline(id: "p", sources: [source], sinks: [RecordingSink()])
        let committer = BatchCommitter(pipeline: pipeline, store: store, rater: nil, clock: SystemClock())
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        var state = try await committer.open(logger: logger)
        let meter = Meter(options: try #require(pipeline.sources.first).metering)
        var reader = try await source.makeReader(from: nil)
        for _ in 0..<count {
            let batch = try #require(try await reader.next())
            let prepared = try committer.prepare(batch, from: source.id, meter: meter, state: &state)
            try await committer.write(prepared, logger: logger)
        }
        return try await store.load(pipeline: "p")
    }

    @Test("a failing sink stops the run at the last acknowledged batch, checkpoints included")
    func failureCommitsNothingAfterTheLastAcknowledgedBatch() async throws {
        let dir = try TemporaryDirectory("runner")
        defer { dir.remove() }
        let source = try Self.source(in: dir)
        // A tiny compaction threshold: the runner checkpoints after nearly every batch.
        let store = FileStateStore(directory: dir.file("state"), compactionBytes: 512)
        let sink = RecordingSink(failFrom: 6)
        await #expect(throws: PluginError.self) { _ = try await Self.run(source, sink: sink, store: store) }
        #expect(sink.written.withLock { $0 } == [1, 2, 3, 4, 5])

        try await Self.expectSequentialState(in: dir, source: source, batches: 5)
    }

    @Test("a pipelined run commits every batch in order and ends with the sequential state")
    func everyBatchCommittedInOrder() async throws {
        let dir = try TemporaryDirectory("runner")
        defer { dir.remove() }
        let source = try Self.source(in: dir)
        let store = FileStateStore(directory: dir.file("state"), compactionBytes: 512)
        let sink = RecordingSink()
        let summary = try await Self.run(source, sink: sink, store: store)
        let written = sink.written.withLock { $0 }
        #expect(written == Array(1...UInt64(summary.batches)))
        #expect(summary.batches > 5)

        try await Self.expectSequentialState(in: dir, source: source, batches: summary.batches)
    }

    /// The state store of `dir`/state, reopened, holds what committing the first
    /// `batches` batches one at a time holds (wall-clock fields aside).
    static func expectSequentialState(in dir: TemporaryDirectory, source: any ObservationSource, batches: Int)
        async throws
    {
        let reopened = try await FileStateStore(directory: dir.file("state")).load(pipeline: "p")
        let reference = try await sequentialState(source, batches: batches, in: dir)
        #expect(reopened.lastCommittedSequence == UInt64(batches))
        #expect(reopened.sources.mapValues(withoutTimes) == reference.sources.mapValues(withoutTimes))
        #expect(reopened.baselines == reference.baselines)
        #expect(!reopened.baselines.isEmpty)
    }

    /// A source's state with the wall-clock fields cleared (the two runs differ only there).
    static func withoutTimes(_ state: SourceState) -> SourceState {
        var state = state
        state.lastAttemptedAt = nil
        state.lastSucceededAt = nil
        return state
    }
}
