import Core
import CoreMetrics
import Foundation
import Generator
import Logging
import TestKit
import Testing
import YAMLConfig

/// The config keys, their validation and the documented sample.
struct GeneratorConfigTests {
    static func decode(_ yaml: String) throws -> (GeneratorSettings, MeteringOptions)? {
        let node = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        let diagnostics = ConfigDiagnostics()
        return GeneratorFactory.decode(ConfigMap(node, path: "sources.gen", diagnostics: diagnostics))
    }

    static func problems(_ yaml: String) throws -> [ConfigProblem] {
        let node = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        let diagnostics = ConfigDiagnostics()
        let result = GeneratorFactory.decode(ConfigMap(node, path: "sources.gen", diagnostics: diagnostics))
        #expect(result == nil || diagnostics.isEmpty)
        return diagnostics.problems
    }

    static let context = PluginContext.testing(clock: FixedClock(Timestamp(secondsSinceEpoch: 0)))

    @Test func sampleYAMLDecodesWithTheRealFactoryToTheDocumentedValues() throws {
        let path = Repository.path("Sources/Adapters/Generator/sample.yaml")
        let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
        let node = try YAMLDocument.parse(text, file: path)
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "sources.load", diagnostics: diagnostics)
        let made = GeneratorFactory().makeSource(id: "load", config: map, context: Self.context)
        #expect(diagnostics.problems == [])
        let source = try #require(made as? GeneratorSource)
        #expect(source.id == "load")
        let settings = source.settings
        let metering = source.metering
        #expect(settings.seed == 42)
        #expect(settings.subjects == 500)
        #expect(settings.nodes == 4)
        #expect(settings.families == [.xray, .vm])
        #expect(settings.start == Timestamp(rfc3339: "2026-01-01T00:00:00Z"))
        #expect(settings.interval == .seconds(60))
        #expect(settings.duration == .seconds(86_400))
        #expect(settings.vmsPerSubject == 2)
        #expect(settings.env == "staging")
        #expect(settings.counterReset.perBillion == 1_000_000)
        #expect(settings.duplicate.perBillion == 2_000_000)
        #expect(settings.outOfOrder.perBillion == 1_000_000)
        #expect(settings.gap.perBillion == 500_000)
        #expect(settings.maxGapIntervals == 5)
        #expect(settings.batchSize == 20_000)
        #expect(settings.tickCount == 1440)
        #expect(metering.initialSync == .billFromZero)
        #expect(metering.gapAttribution == .spread)
        #expect(metering.expectedInterval == .seconds(60))
    }

    @Test func theFactoryMakesAGeneratorSource() throws {
        let node = try YAMLDocument.parse("type: generator\nseed: 3\nduration: 5m\n", file: "p.yaml")
        let diagnostics = ConfigDiagnostics()
        let factory = GeneratorFactory()
        #expect(factory.type == "generator")
        #expect(!factory.summary.isEmpty && !factory.summary.contains("\n"))
        let (settings, _) = try #require(
            GeneratorFactory.decode(ConfigMap(node, path: "sources.g", diagnostics: diagnostics)))
        #expect(diagnostics.isEmpty)
        #expect(settings == GeneratorSettings(seed: 3, duration: .seconds(300)))
    }

    @Test func defaults() throws {
        let (settings, metering) = try #require(try Self.decode("type: generator\n"))
        #expect(settings == GeneratorSettings())
        #expect(settings.families == [.xray])
        #expect(settings.duration == nil)
        #expect(settings.interval == .seconds(60))
        #expect(settings.counterReset == .never)
        #expect(metering.expectedInterval == .seconds(60))
    }

    @Test func expectedIntervalFollowsTheIntervalUnlessSet() throws {
        let (_, a) = try #require(try Self.decode("interval: 30s\n"))
        #expect(a.expectedInterval == .seconds(30))
        let (_, b) = try #require(try Self.decode("interval: 30s\nexpected_interval: 2m\n"))
        #expect(b.expectedInterval == .seconds(120))
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var path: String
        var line: Int
        var message: String
        var testDescription: String { path + ": " + message }
    }

    @Test(arguments: [
        BadCase(yaml: "type: generator\nseed: -1\n", path: "sources.gen.seed", line: 2, message: "expected an integer"),
        BadCase(yaml: "subjects: 0\n", path: "sources.gen.subjects", line: 1, message: "out of range"),
        BadCase(yaml: "nodes: many\n", path: "sources.gen.nodes", line: 1, message: "expected an integer"),
        BadCase(yaml: "seed: 1\nfamilies: [xray, gpu]\n", path: "sources.gen.families[1]", line: 2, message: "gpu"),
        BadCase(yaml: "families: [xray, xray]\n", path: "sources.gen.families[1]", line: 1, message: "twice"),
        BadCase(yaml: "families: []\n", path: "sources.gen.families", line: 1, message: "at least one"),
        BadCase(yaml: "start: yesterday\n", path: "sources.gen.start", line: 1, message: "RFC 3339"),
        BadCase(yaml: "interval: 500ms\n", path: "sources.gen.interval", line: 1, message: "at least"),
        BadCase(yaml: "interval: 2d\n", path: "sources.gen.interval", line: 1, message: "at most 1d"),
        BadCase(yaml: "interval: 5m\nduration: 1m\n", path: "sources.gen.duration", line: 2, message: "interval"),
        BadCase(yaml: "vms_per_subject: 1001\n", path: "sources.gen.vms_per_subject", line: 1, message: "range"),
        BadCase(yaml: "counter_reset: 1.5\n", path: "sources.gen.counter_reset", line: 1, message: "probability"),
        BadCase(yaml: "duplicate: 0.1%\n", path: "sources.gen.duplicate", line: 1, message: "probability"),
        BadCase(yaml: "out_of_order: 1e-3\n", path: "sources.gen.out_of_order", line: 1, message: "probability"),
        BadCase(yaml: "x: 1\ngap: \"0.0000000001\"\n", path: "sources.gen.gap", line: 2, message: "9 decimals"),
        BadCase(yaml: "batch_size: 0\n", path: "sources.gen.batch_size", line: 1, message: "range"),
        BadCase(yaml: "seed: 1\nspeed: fast\n", path: "sources.gen.speed", line: 2, message: "unknown key"),
        BadCase(yaml: "attribute: everywhere\n", path: "sources.gen.attribute", line: 1, message: "unknown value"),
        BadCase(yaml: "env: \"\"\n", path: "sources.gen.env", line: 1, message: "empty"),
    ])
    func aBadValueIsReportedWithPathAndLine(_ bad: BadCase) throws {
        let problems = try Self.problems(bad.yaml)
        let match = problems.first { $0.path == bad.path }
        #expect(match != nil, "problems: \(problems)")
        #expect(match?.line == bad.line)
        #expect(match?.message.contains(bad.message) == true, "\(match?.message ?? "")")
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let problems = try Self.problems("subjects: 0\nnodes: x\ngap: lots\nfoo: 1\n")
        #expect(
            Set(problems.map(\.path)) == [
                "sources.gen.subjects", "sources.gen.nodes", "sources.gen.gap", "sources.gen.foo",
            ])
        #expect(problems.map(\.line).sorted() == [1, 2, 3, 4])
    }

    @Test(
        arguments: [
            ("0", 0), ("1", 1_000_000_000), ("1.0", 1_000_000_000), ("0.5", 500_000_000), (".25", 250_000_000),
            ("0.001", 1_000_000), ("0.000000001", 1), ("0.123456789", 123_456_789), ("00.1", 100_000_000),
        ] as [(String, UInt64)])
    func probabilitiesParseExactly(text: String, perBillion: UInt64) {
        #expect(Probability(decimal: text)?.perBillion == perBillion)
    }

    @Test(arguments: ["", ".", "1.5", "2", "-0.1", "0.1%", "1e-3", "0,5", " 0.1", "0.0000000001", "100"])
    func invalidProbabilitiesAreRejected(text: String) {
        #expect(Probability(decimal: text) == nil)
    }

    @Test(arguments: ["0", "1", "0.5", "0.001", "0.123456789"])
    func probabilityDescriptionRoundTrips(text: String) {
        #expect(Probability(decimal: text)?.description == text)
    }
}
