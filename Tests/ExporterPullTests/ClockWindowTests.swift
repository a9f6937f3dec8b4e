import Core
import FakeExporter
import Foundation
import TestKit
import Testing
import YAMLConfig

@testable import ExporterPull
@testable import Host

/// Issue 12, item 4: a pulled snapshot outside the source's clock window fails
/// the collection (the source's status names it) and moves no cursor.
@Suite("exporter_pull clock window")
struct ClockWindowTests {
    static func decode(_ yaml: String) throws -> (MeteringOptions?, [ConfigProblem]) {
        let root = try YAMLDocument.parse("base_url: https://edge.example.net\n" + yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.edge", diagnostics: diagnostics)
        let decoded = ExporterPullFactory.decode(
            map, context: PullHarness.context(clock: SettableClock(Scenario.start)))
        return (decoded?.1, diagnostics.problems)
    }

    @Test("the defaults: 5 minutes ahead, a week behind; max_age under 73h is refused, none is accepted")
    func config() throws {
        #expect(try Self.decode("").0?.window == ExporterPullSettings.defaultWindow)
        #expect(ExporterPullSettings.defaultWindow.maxAge == .seconds(7 * 86_400))
        let (short, problems) = try Self.decode("max_age: 72h\n")
        #expect(short == nil)
        #expect(problems.map(\.path) == ["sources.edge.max_age"])
        #expect(problems.first?.message.contains("at least 73h") == true, "\(problems)")
        #expect(try Self.decode("max_age: none\n").0?.window.maxAge == nil)
    }

    @Test("a snapshot older than max_age fails the collection naming it; nothing is written, the cursor stays")
    func tooOld() async throws {
        let server = Scenario.fake(minutes: 45)
        try await server.withRunning { port in
            let clock = SettableClock(Scenario.at(minutes: 60))
            let settings = ExporterPullSettings(
                baseURL: "http://127.0.0.1:\(port)", token: .environment("PULL_TOKEN"), expectedNodeID: "edge-1",
                expectedEnv: "production", timeout: .seconds(5), allowInsecureHTTP: true, attempts: 1,
                retryBackoff: .milliseconds(10))
            // Built in code to reach a limit the factory would refuse: the check is the reader's.
            let window = ObservationWindow(maxFutureSkew: .seconds(300), maxAge: .seconds(30 * 60))
            let source = ExporterPullSource(
                id: "edge", metering: MeteringOptions(window: window), settings: settings,
                context: PullHarness.context(clock: clock), mode: .oneShot)
            let temporary = try TemporaryDirectory("pull-window")
            defer { temporary.remove() }
            let store = FileStateStore(directory: temporary.file("state"))
            let sink = MemorySink()
            let pipeline = HostConfiguration.Pipeline(id: "pull", sources: [source], sinks: [sink])
            let summary = try await PipelineEngine.finite(
                pipeline: pipeline, store: store, rater: nil, clock: clock, logger: source.context.logger
            ).runToEnd()
            let failure = try #require(summary.failures["edge"])
            #expect(
                failure.contains(
                    "snapshot of node edge-1: collected_at 2026-01-01T00:00:00Z is 1h behind the clock (2026-01-01T01:00:00Z); the source's max_age is 30m"
                ), "\(failure)")
            #expect(sink.facts.isEmpty)
            #expect(try await store.load(pipeline: "pull").sources["edge"]?.cursor == nil)
        }
    }
}
