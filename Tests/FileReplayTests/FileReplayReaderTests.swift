import Core
import FileReplay
import Foundation
import TestKit
import Testing
import WireFormats

@Suite struct FileReplayReaderTests {
    static let cases: [(String, FixtureFormat, Int)] = [
        ("xray-snapshots.jsonl", .xraySnapshots, 48), ("vm-metrics.jsonl", .vmMetrics, 48),
        ("observations.jsonl", .observations, 10),
    ]

    @Test(arguments: cases)
    func fixtureReplaysToTheDecodedObservations(file: String, format: FixtureFormat, count: Int) async throws {
        let path = Support.fixtures + "/" + file
        let source = FileReplaySource(id: "fx", settings: FileReplaySettings(path: path, format: format))
        let batches = try await Support.readAll(source)
        let all = batches.flatMap(\.observations)
        #expect(all.count == count)
        #expect(all == (try Support.expected(file: path, format: format, source: "fx")))
        #expect(batches.count == 1)
        #expect(batches.last?.position == "\(file):\(file == "vm-metrics.jsonl" ? 6 : 10)")
    }

    @Test func goldenFirstXrayLine() async throws {
        let source = FileReplaySource(
            id: "fx",
            settings: FileReplaySettings(path: Support.fixtures + "/xray-snapshots.jsonl", format: .xraySnapshots))
        let first = try #require(try await Support.readAll(source).first)
        let dims = [Dimension("env", "prod"), Dimension("inbound_tag", ""), Dimension("node_id", "node-a")]
        let vless = [Dimension("env", "prod"), Dimension("inbound_tag", "vless-in"), Dimension("node_id", "node-a")]
        let t = try #require(Timestamp(rfc3339: "2026-11-01T00:00:00Z"))
        let alice = "3f1c2b8e-6d4a-4e2f-9a1b-0c7d5e8f9a10"
        let bob = "7b2e9d41-1c3f-4a5b-8e6d-2f9a0b1c3d4e"
        #expect(
            Array(first.observations.prefix(4)) == [
                Observation(
                    series: SeriesKey(source: "fx", subject: alice, metric: "traffic.uplink_bytes", dimensions: dims),
                    time: t, value: .cumulative(1_048_576)),
                Observation(
                    series: SeriesKey(source: "fx", subject: alice, metric: "traffic.downlink_bytes", dimensions: dims),
                    time: t, value: .cumulative(10_485_760)),
                Observation(
                    series: SeriesKey(source: "fx", subject: bob, metric: "traffic.uplink_bytes", dimensions: vless),
                    time: t, value: .cumulative(500_000)),
                Observation(
                    series: SeriesKey(source: "fx", subject: bob, metric: "traffic.downlink_bytes", dimensions: vless),
                    time: t, value: .cumulative(4_000_000)),
            ])
        // node-b's first snapshot carries nanoseconds and an account with a non-ASCII email.
        #expect(first.observations[4].time == Timestamp(rfc3339: "2026-11-01T00:00:00.25Z"))
        #expect(first.observations[4].series.dimension("node_id") == "node-b")
    }

    @Test func resumingFromEveryLineBoundaryGivesTheSameObservations() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let lines = try String(contentsOfFile: Support.fixtures + "/observations.jsonl", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        try Support.write(lines.prefix(4).joined(separator: "\n") + "\n\n", to: dir + "/a.jsonl")
        try Support.write(lines.dropFirst(4).joined(separator: "\r\n"), to: dir + "/b.jsonl")  // CRLF, no final newline
        let source = FileReplaySource(
            id: "fx", settings: FileReplaySettings(path: dir, format: .observations, batchSize: 1))
        let batches = try await Support.readAll(source)
        let all = batches.flatMap(\.observations)
        #expect(all.count == 10)
        #expect(
            batches.map(\.position) == ["a.jsonl:1", "a.jsonl:2", "a.jsonl:3", "a.jsonl:4", "a.jsonl:5"]
                + (1...6).map { "b.jsonl:\($0)" })
        for (k, batch) in batches.enumerated() {
            let before = batches.prefix(k + 1).flatMap(\.observations)
            let rest = try await Support.readAll(source, from: batch.cursor).flatMap(\.observations)
            #expect(before + rest == all, "resume after batch \(k) at \(batch.position)")
        }
        let whole = try await Support.readAll(
            FileReplaySource(id: "fx", settings: FileReplaySettings(path: dir, format: .observations)))
        #expect(whole.flatMap(\.observations) == all)
        #expect(whole.count == 2)  // a batch never spans two files
    }

    @Test func directoryFilesAreReadInNameOrderAndOthersIgnored() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let line = #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"gauge","value":"#
        try Support.write(line + "2}\n", to: dir + "/b.jsonl")
        try Support.write(line + "1}\n", to: dir + "/a.jsonl")
        try Support.write(line + "9}\n", to: dir + "/notes.txt")
        try Support.write(line + "3}\n", to: dir + "/c.jsonl")
        let source = FileReplaySource(id: "fx", settings: FileReplaySettings(path: dir, format: .observations))
        let values = try await Support.readAll(source).flatMap(\.observations).map(\.value)
        #expect(values == [.gauge(1), .gauge(2), .gauge(3)])
    }

    @Test func aMalformedLineFailsWithFileAndLineAfterTheGoodOnes() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let good = #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"gauge","value":1}"#
        try Support.write(
            good + "\n" + good.replacingOccurrences(of: ":1}", with: ":-1}") + "\n" + good + "\n", to: dir + "/in.jsonl"
        )
        let source = FileReplaySource(
            id: "fx", settings: FileReplaySettings(path: dir + "/in.jsonl", format: .observations))
        var reader = try await source.makeReader(from: nil)
        let first = try #require(try await reader.next())
        #expect(first.observations.count == 1)
        #expect(first.position == "in.jsonl:1")
        do {
            _ = try await reader.next()
            Issue.record("the malformed line was accepted")
        } catch let error as PluginError {
            #expect(error.kind == .permanent)
            #expect(error.component == "sources.fx")
            #expect(error.message == "in.jsonl:2: column 82 (value): must not be negative")
        }
    }

    @Test func quarantineRecordsOnceAcrossReplays() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let good = #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"gauge","value":1}"#
        try Support.write(good + "\n{\"subject\": 1}\n" + good + "\n", to: dir + "/in.jsonl")
        let settings = FileReplaySettings(path: dir + "/in.jsonl", format: .observations, onError: .quarantine)
        #expect(settings.deadLetterPath == dir + "/in.jsonl.dead-letter.jsonl")
        let source = FileReplaySource(id: "fx", settings: settings)
        for _ in 0..<2 {  // the second run is a replay after a crash
            let batches = try await Support.readAll(source)
            #expect(batches.flatMap(\.observations).count == 2)
            #expect(batches.map(\.quarantined).reduce(0, +) == 1)
        }
        let dead = try String(contentsOfFile: settings.deadLetterPath, encoding: .utf8)
        #expect(
            dead
                == #"{"error":"column 13 (subject): expected a string, found '1'","file":"in.jsonl","line":2,"offset":84,"raw":"{\"subject\": 1}"}"#
                + "\n")
    }

    @Test func aRewrittenFileIsDetected() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let good = #"{"subject":"s","metric":"m","time":"2026-11-01T00:00:00Z","kind":"gauge","value":1}"#
        try Support.write(good + "\n" + good + "\n", to: dir + "/in.jsonl")
        let source = FileReplaySource(
            id: "fx", settings: FileReplaySettings(path: dir + "/in.jsonl", format: .observations, batchSize: 1))
        let cursor = try #require(try await Support.readAll(source).first?.cursor)
        try Support.write("x" + good + "\n" + good + "\n", to: dir + "/in.jsonl")
        await #expect(throws: PluginError.self) { _ = try await Support.readAll(source, from: cursor) }
    }
}
