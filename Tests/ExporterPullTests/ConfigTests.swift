import Core
import Foundation
import TestKit
import Testing
import YAMLConfig

@testable import ExporterPull

@Suite("exporter_pull configuration")
struct ConfigTests {
    static let directory = Repository.path("Sources/Adapters/ExporterPull")

    static func decode(_ yaml: String) throws -> (ExporterPullSettings?, [ConfigProblem]) {
        let root = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.edge", diagnostics: diagnostics)
        let context = PullHarness.context(clock: SettableClock(Scenario.start), base: "/etc/billing")
        let decoded = ExporterPullFactory.decode(map, context: context)
        return (decoded?.0, diagnostics.problems)
    }

    @Test("sample.yaml decodes through the real factory with every key")
    func sample() throws {
        let text = try String(contentsOfFile: Self.directory + "/sample.yaml", encoding: .utf8)
        let root = try YAMLDocument.parse(text, file: "sample.yaml")
        let diagnostics = ConfigDiagnostics()
        let sources = ConfigMap(root, path: "sources", diagnostics: diagnostics)
        let entry = try #require(sources.map("edge_1"))
        #expect(entry.string("type") == "exporter_pull")
        let context = PullHarness.context(clock: SettableClock(Scenario.start), base: "/etc/billing")
        let source = ExporterPullFactory().makeSource(id: "edge_1", config: entry, context: context)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        let pull = try #require(source as? ExporterPullSource)
        let s = pull.settings
        #expect(s.baseURL == "https://exporter-1.example.net:9443")
        #expect(s.token == .environment("INTERNAL_SERVICE_TOKEN"))
        #expect(s.caFile == "/etc/billing/certs/exporter-ca.pem")
        #expect(s.clientCertFile == "/etc/billing/certs/billing-client.pem")
        #expect(s.clientKeyFile == "/etc/billing/certs/billing-client.key")
        #expect(s.expectedNodeID == "edge-1")
        #expect(s.expectedEnv == "production")
        #expect(s.initialLookback == .seconds(3600))
        #expect(s.overlap == .seconds(120))
        #expect(s.settleDelay == .seconds(60))
        #expect(s.timeout == .seconds(15))
        #expect(s.pageLimit == 1000)
        #expect(s.maxBodyBytes == 32 << 20)
        #expect(s.retryBackoff == .milliseconds(500))
        #expect(pull.mode == .continuous)
        #expect(pull.oneShot().mode == .oneShot)
    }

    @Test("plain http is refused unless allow_insecure_http is set")
    func insecure() throws {
        let (refused, problems) = try Self.decode("base_url: http://127.0.0.1:9100\ntoken_env: T\n")
        #expect(refused == nil)
        #expect(problems.map(\.path) == ["sources.edge.base_url"])
        #expect(problems.first?.message.contains("allow_insecure_http") == true)
        let (allowed, none) = try Self.decode(
            "base_url: http://127.0.0.1:9100/\ntoken_env: T\nallow_insecure_http: true\n")
        #expect(none.isEmpty)
        #expect(allowed?.baseURL == "http://127.0.0.1:9100")
    }

    @Test(
        "invalid entries name the key",
        arguments: [
            ("base_url: https://x\ntoken: abc\n", "sources.edge.token", "never written inline"),
            ("base_url: ftp://x\n", "sources.edge.base_url", "https://"),
            ("base_url: https://x\ninitial_lookback: 73h\n", "sources.edge.initial_lookback", "72h"),
            ("base_url: https://x\npage_limit: 5000\n", "sources.edge.page_limit", "out of range"),
            ("base_url: https://x\nmax_body_bytes: lots\n", "sources.edge.max_body_bytes", "size"),
            ("base_url: https://x\noverlap: soon\n", "sources.edge.overlap", "duration"),
            ("base_url: https://x\nclient_cert_file: c.pem\n", "sources.edge.client_cert_file", "both"),
            ("base_url: https://x\nbogus: 1\n", "sources.edge.bogus", "unknown key"),
            ("token_env: T\n", "sources.edge.base_url", "required"),
        ])
    func invalid(yaml: String, path: String, message: String) throws {
        let (settings, problems) = try Self.decode(yaml)
        #expect(settings == nil)
        #expect(problems.contains { $0.path == path && $0.message.contains(message) }, "\(problems)")
        #expect(!problems.contains { $0.message.contains("abc") })
    }

    @Test("catch-up plans bounded steps from cursor − overlap to now − settle_delay")
    func windowPlan() {
        let settings = ExporterPullSettings(baseURL: "https://x")
        let now = Scenario.at(minutes: 7 * 60 + 1)
        let target = now.adding(.zero - settings.settleDelay)
        var committed = WindowPlan.start(
            cursor: ExporterPullCursor(until: Scenario.at(minutes: 60)), target: target, settings: settings)
        var steps: [WindowStep] = []
        while let step = WindowPlan.next(committed: committed, target: target, first: false, settings: settings) {
            steps.append(step)
            committed = step.until
        }
        #expect(steps.count == 6)
        #expect(steps.first == WindowStep(since: Scenario.at(minutes: 58), until: Scenario.at(minutes: 120)))
        #expect(steps.last?.until == target)
        for (a, b) in zip(steps, steps.dropFirst()) { #expect(b.since < a.until) }  // never a gap
        // First run: the lookback, at most 72 h; a cursor beyond retention resumes at the oldest retained minute.
        #expect(WindowPlan.start(cursor: nil, target: target, settings: settings) == Scenario.at(minutes: 6 * 60 + 1))
        let old = ExporterPullCursor(until: Scenario.start)
        let late = Scenario.at(minutes: 100 * 60)
        #expect(WindowPlan.start(cursor: old, target: late, settings: settings) == Scenario.at(minutes: 28 * 60 + 1))
    }

    @Test("the cursor is stored as RFC 3339 with nanoseconds and round-trips")
    func cursorCoding() throws {
        let cursor = ExporterPullCursor(until: Scenario.at(minutes: 1).adding(nanoseconds: 5))
        let encoded = try SourceCursor(encoding: cursor)
        #expect(encoded.json == #"{"until":"2026-01-01T00:01:00.000000005Z"}"#)
        #expect(try encoded.decode(as: ExporterPullCursor.self) == cursor)
    }
}
