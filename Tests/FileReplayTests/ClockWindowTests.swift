import Core
import FileReplay
import Foundation
import TestKit
import Testing
import YAMLConfig

/// Issue 12, item 4: a fixture line outside the source's clock window is a bad
/// line: it fails the replay with its file and line, or is quarantined, and
/// nothing of it is emitted.
@Suite("file_replay clock window")
struct ClockWindowTests {
    /// `Support.context()`'s clock reads 2026-11-01T00:00:00Z.
    static func line(_ time: String, value: Int = 1) -> String {
        #"{"subject":"s","metric":"m","time":"\#(time)","kind":"cumulative","value":\#(value)}"#
    }

    static func source(_ yaml: String) throws -> FileReplaySource {
        let root = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.fx", diagnostics: diagnostics)
        let source = FileReplayFactory().makeSource(id: "fx", config: map, context: Support.context())
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        return try #require(source as? FileReplaySource)
    }

    @Test("the defaults: a day ahead, ten years behind (the shipped November 2026 fixtures replay for a decade)")
    func defaults() throws {
        let source = try Self.source("path: x.jsonl\nformat: observations\n")
        #expect(source.metering.window == FileReplaySettings.defaultWindow)
        #expect(source.metering.window.maxFutureSkew == .seconds(86_400))
        #expect(source.metering.window.maxAge == .seconds(3650 * 86_400))
    }

    @Test(
        "on_error fail: a line from 2200 or 2001 stops the replay with its file and line, after the good ones",
        arguments: [("2200-01-01T00:00:00Z", "max_future_skew"), ("2001-01-01T00:00:00Z", "max_age")])
    func fails(time: String, option: String) async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let text = [Self.line("2026-11-01T00:00:00Z"), Self.line(time, value: 9), Self.line("2026-11-01T00:01:00Z")]
        try Support.write(text.joined(separator: "\n") + "\n", to: dir + "/in.jsonl")
        let source = try Self.source("path: \(dir)/in.jsonl\nformat: observations\n")
        var reader = try await source.makeReader(from: nil)
        let first = try #require(try await reader.next())
        #expect(first.observations.map(\.time) == [Timestamp(rfc3339: "2026-11-01T00:00:00Z")])
        #expect(first.position == "in.jsonl:1")
        do {
            _ = try await reader.next()
            Issue.record("the line outside the window was accepted")
        } catch let error as PluginError {
            #expect(error.kind == .permanent)
            #expect(error.message.hasPrefix("in.jsonl:2: timestamp \(time)"), "\(error.message)")
            #expect(error.message.contains(option), "\(error.message)")
        }
    }

    @Test("on_error quarantine: the line goes to the dead letters, the others are replayed, the cursor passes it")
    func quarantines() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        let text = [Self.line("2026-11-01T00:00:00Z"), Self.line("2200-01-01T00:00:00Z", value: 9)]
        try Support.write(text.joined(separator: "\n") + "\n", to: dir + "/in.jsonl")
        let source = try Self.source("path: \(dir)/in.jsonl\nformat: observations\non_error: quarantine\n")
        let batches = try await Support.readAll(source)
        #expect(batches.flatMap(\.observations).count == 1)
        #expect(batches.map(\.quarantined).reduce(0, +) == 1)
        #expect(batches.last?.position == "in.jsonl:2")
        let dead = try String(contentsOfFile: source.settings.deadLetterPath, encoding: .utf8)
        #expect(dead.contains(#""line":2"#), "\(dead)")
        #expect(dead.contains("timestamp 2200-01-01T00:00:00Z is"), "\(dead)")
    }

    @Test("max_age: none replays a fixture of any age (the decoder's own year range aside)")
    func unbounded() async throws {
        let temporary = try TemporaryDirectory("file-replay")
        defer { temporary.remove() }
        let dir = temporary.path
        try Support.write(Self.line("2001-01-01T00:00:00Z") + "\n", to: dir + "/in.jsonl")
        let source = try Self.source("path: \(dir)/in.jsonl\nformat: observations\nmax_age: none\n")
        #expect(try await Support.readAll(source).flatMap(\.observations).count == 1)
    }
}
