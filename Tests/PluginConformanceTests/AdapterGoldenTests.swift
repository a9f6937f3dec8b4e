import Core
import Foundation
import Host
import TestKit
import Testing
import WireFormats
import YAMLConfig

/// The one driver of every adapter's golden cases (`GoldenCase`): a new
/// adapter folder with `testcases/` is picked up with no edit here.
///
/// `BILLING_GOLDEN_WRITE=1` rewrites each `expected.jsonl` from what the
/// source emits now (review the diff before committing it).
@Suite struct AdapterGoldenTests {
    @Test("there are golden cases to run") func casesExist() {
        #expect(GoldenCase.all.count >= 4, "\(GoldenCase.all.map(\.name))")
    }

    @Test("the source made from config.yaml emits exactly expected.jsonl", arguments: GoldenCase.all)
    func emitsTheExpectedObservations(_ golden: GoldenCase) async throws {
        let directory = try TemporaryDirectory("golden")
        defer { directory.remove() }
        try golden.copyFiles(to: directory)
        let root = try YAMLDocument.load(path: directory.file("config.yaml"))
        let type = try #require(root["type"]?.scalar, "\(golden.config) has no type:")
        let factory = try #require(
            PluginRegistry.builtIn().sourceFactory(type: type), "\(golden.config): no source factory of type \(type)")
        let diagnostics = ConfigDiagnostics()
        let entry = ConfigMap(root, path: "sources.golden", diagnostics: diagnostics)
        _ = entry.string("type")
        let context = PluginContext.testing(clock: FixedClock("2026-11-01T12:00:00Z"), baseDirectory: directory.path)
        let made = factory.makeSource(id: "golden", config: entry, context: context)
        let source = try #require(made, "\(golden.config): \(diagnostics.problems)")

        var reader = try await source.makeReader(from: nil)
        var encoder = FixtureLineEncoder()
        var bytes: [UInt8] = []
        var batches = 0
        while let batch = try await reader.next() {
            batches += 1
            try #require(batches <= 10_000, "\(golden.name): the source did not end")
            #expect(batch.failure == nil, "\(batch.failure ?? "")")
            for observation in batch.observations { encoder.appendLine(observation, to: &bytes) }
        }
        let actual = String(decoding: bytes, as: UTF8.self)

        if ProcessInfo.processInfo.environment["BILLING_GOLDEN_WRITE"] == "1" {
            try actual.write(toFile: golden.expected, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: golden.expected, encoding: .utf8)
        #expect(!expected.isEmpty, "\(golden.expected) is empty")
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(actualLines.count == expectedLines.count, "\(golden.name): line count")
        // The first differing line, so a failure shows where the output drifted.
        if let index = zip(actualLines, expectedLines).enumerated().first(where: { $0.element.0 != $0.element.1 })?
            .offset
        {
            Issue.record(
                "\(golden.name): line \(index + 1) differs\n  expected: \(expectedLines[index])\n  actual:   \(actualLines[index])"
            )
        }
    }
}
