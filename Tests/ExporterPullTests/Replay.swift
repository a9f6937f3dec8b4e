import Core
import FileReplay
import Foundation
import TestKit
import WireFormats

@testable import Host

/// Replays snapshots as an `xray_snapshots` fixture through `file_replay`.
enum Replay {
    static func facts(of snapshots: [XraySnapshot], sourceID: String) async throws -> [UsageFact] {
        let temporary = try TemporaryDirectory("exporter-pull-replay")
        defer { temporary.remove() }
        let directory = temporary.path
        var encoder = FixtureLineEncoder()
        var bytes: [UInt8] = []
        for snapshot in snapshots { encoder.appendLine(snapshot, to: &bytes) }
        let path = directory + "/snapshots.jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let source = FileReplaySource(id: sourceID, settings: FileReplaySettings(path: path, format: .xraySnapshots))
        let sink = MemorySink()
        let clock = SettableClock(Scenario.start)
        let pipeline = HostConfiguration.Pipeline(id: "replay", sources: [source], sinks: [sink])
        let runner = PipelineEngine.finite(
            pipeline: pipeline, store: FileStateStore(directory: directory + "/state"), rater: nil, clock: clock,
            logger: PullHarness.context(clock: clock).logger)
        _ = try await runner.runToEnd()
        return sink.facts
    }
}
