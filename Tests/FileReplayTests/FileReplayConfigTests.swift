import Core
import FileReplay
import Foundation
import TestKit
import Testing
import WireFormats
import YAMLConfig

@Suite struct FileReplayConfigTests {
    /// Decodes `sources:` YAML the way the host does; returns the source and the problems.
    static func make(_ yaml: String, base: String = "/base") throws -> (FileReplaySource?, [ConfigProblem]) {
        let root = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        let diagnostics = ConfigDiagnostics()
        let top = ConfigMap(root, path: "", diagnostics: diagnostics)
        top.declare("version")
        let sources = top.map("sources")
        var made: FileReplaySource?
        for id in sources?.keys ?? [] {
            guard let entry = sources?.map(id) else { continue }
            #expect(entry.string("type") == "file_replay")
            made =
                FileReplayFactory().makeSource(id: id, config: entry, context: Support.context(base: base))
                as? FileReplaySource
        }
        return (made, diagnostics.problems)
    }

    @Test func sampleYAMLDecodesWithTheDocumentedValues() throws {
        let sample = try String(
            contentsOfFile: Repository.root + "/Sources/Adapters/FileReplay/sample.yaml", encoding: .utf8)
        let indented = sample.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
            separator: "\n")
        let (source, problems) = try Self.make("sources:\n" + indented)
        #expect(problems.isEmpty, "\(problems)")
        let made = try #require(source)
        #expect(made.id == "fixtures")
        #expect(made.settings.path == "/base/examples/fixtures/xray-snapshots.jsonl")
        #expect(made.settings.format == .xraySnapshots)
        #expect(made.settings.onError == .quarantine)
        #expect(made.settings.deadLetterPath == "/base/examples/fixtures/xray-snapshots.dead-letter.jsonl")
        #expect(made.settings.batchSize == 5000)
        #expect(
            made.metering
                == MeteringOptions(
                    initialSync: .baseline, expectedInterval: .seconds(60), gapAttribution: .end,
                    window: FileReplaySettings.defaultWindow))
    }

    @Test func defaults() throws {
        let (source, problems) = try Self.make(
            "sources:\n  f:\n    type: file_replay\n    path: /data/in/\n    format: observations\n")
        #expect(problems.isEmpty)
        let made = try #require(source)
        #expect(
            made.settings
                == FileReplaySettings(
                    path: "/data/in/", format: .observations, onError: .fail,
                    deadLetterPath: "/data/in.dead-letter.jsonl",
                    batchSize: 20_000))
        #expect(made.metering == MeteringOptions(window: FileReplaySettings.defaultWindow))
    }

    @Test func unknownFormatListsTheValidOnes() throws {
        let yaml = """
            version: 1
            sources:
              fixtures:
                type: file_replay
                format: xray
                path: x.jsonl
                colour: red
            """
        let (source, problems) = try Self.make(yaml)
        #expect(source == nil)
        #expect(
            problems.map(\.description) == [
                "sources.fixtures.format (line 5): unknown value \"xray\" (valid: xray_snapshots, vm_metrics, observations)",
                "sources.fixtures.colour (line 7): unknown key (valid: type, path, format, on_error, dead_letter, batch_size, initial_sync, expected_interval, attribute, max_future_skew, max_age)",
            ])
    }

    @Test func missingPathAndBadBatchSize() throws {
        let (source, problems) = try Self.make(
            "sources:\n  f:\n    type: file_replay\n    format: vm_metrics\n    batch_size: 0\n    on_error: skip\n")
        #expect(source == nil)
        #expect(
            problems.map(\.description) == [
                "sources.f.path (line 3): required key is missing",
                "sources.f.on_error (line 6): unknown value \"skip\" (valid: fail, quarantine)",
                "sources.f.batch_size (line 5): 0 is out of range (1...10000000)",
            ])
    }
}
