import Core
import ExporterPull
import Foundation
import Logging
import Metrics
import PostgresSink
import TestKit
import Testing

@testable import Host

/// `run --legacy-env` / `legacy_env: true`: an existing deployment's environment
/// (UPSTREAMS §1) becomes exporter_pull sources with the old defaults.
@Suite struct LegacyEnvironmentTests {
    func context(_ environment: [String: String]) -> PluginContext {
        .testing(clock: ConfigLoaderTests.clock, baseDirectory: "/tmp", environment: environment)
    }

    func load(_ environment: [String: String], file: String = "/nonexistent/plugins.yaml") throws(ConfigurationInvalid)
        -> HostConfiguration
    {
        try ConfigLoader(registry: .builtIn()).load(
            file: file, context: context(environment), legacyEnvironment: true)
    }

    func problems(_ environment: [String: String], file: String = "/nonexistent/plugins.yaml") -> [String] {
        do {
            _ = try load(environment, file: file)
            return []
        } catch {
            return error.errors.flatMap { $0.problems.map(\.description) }
        }
    }

    @Test func sourcesJSONBecomesPullSourcesWithTheOldDefaults() throws {
        let configuration = try load([
            "EXPORTER_SOURCES_JSON": """
            [{"source_id": "edge-1", "base_url": "https://edge-1.example.net", "expected_node_id": "edge-1",
              "expected_env": "prod", "timeout_seconds": 0},
             {"source_id": "edge-2", "base_url": "https://edge-2.example.net", "timeout_seconds": 30, "enabled": true},
             {"source_id": "old", "base_url": "https://old.example.net", "enabled": false}]
            """,
            "INTERNAL_SERVICE_TOKEN": "s3cret", "COLLECT_INTERVAL": "30s",
            "DATABASE_URL": "postgres://billing@127.0.0.1:5432/billing",
        ])
        let sources = configuration.sources.compactMap { $0.source as? ExporterPullSource }
        #expect(sources.map(\.id) == ["edge-1", "edge-2"])
        #expect(sources.map(\.settings.baseURL) == ["https://edge-1.example.net", "https://edge-2.example.net"])
        #expect(sources.map(\.settings.timeout) == [.seconds(15), .seconds(30)])
        #expect(sources.map(\.settings.interval) == [.seconds(30), .seconds(30)])
        #expect(
            sources.map(\.settings.token) == [
                .environment("INTERNAL_SERVICE_TOKEN"), .environment("INTERNAL_SERVICE_TOKEN"),
            ])
        #expect(sources[0].settings.expectedNodeID == "edge-1")
        #expect(sources[0].settings.expectedEnv == "prod")
        #expect(sources[1].settings.expectedNodeID == nil)
        #expect(configuration.pipelines.map(\.id) == ["legacy"])
        #expect(configuration.pipelines.first?.sinks.first is PostgresSink)
        #expect(configuration.state == .sink(id: "ledger", type: "postgres"))
    }

    @Test func baseURLAloneIsTheDefaultSourceWithAOneMinuteInterval() throws {
        let configuration = try load([
            "EXPORTER_BASE_URL": "https://exporter.internal:9443", "DATABASE_URL": "postgres://u@h/db",
        ])
        let source = try #require(configuration.sources.first?.source as? ExporterPullSource)
        #expect(source.id == "default")
        #expect(source.settings.interval == .seconds(60))
        #expect(source.settings.timeout == .seconds(15))
    }

    @Test func invalidJSONIsNamedByVariableAndColumn() {
        #expect(
            problems(["EXPORTER_SOURCES_JSON": #"[{"source_id": "a",}]"#, "DATABASE_URL": "postgres://u@h/db"]).first?
                .hasPrefix("EXPORTER_SOURCES_JSON: invalid JSON at column 20") == true)
        #expect(
            problems(["EXPORTER_SOURCES_JSON": #"[{"source_id": "a"}"#, "DATABASE_URL": "postgres://u@h/db"]).first?
                .hasPrefix("EXPORTER_SOURCES_JSON: invalid JSON at column 20: truncated") == true)
    }

    @Test func badEntriesAreNamedByIndexAndKey() {
        let env = ["DATABASE_URL": "postgres://u@h/db"]
        func first(_ json: String) -> String? {
            problems(env.merging(["EXPORTER_SOURCES_JSON": json]) { $1 }).first
        }
        #expect(first(#"[{"source_id": "a"}]"#) == "EXPORTER_SOURCES_JSON[0].base_url: required")
        #expect(
            first(#"[{"source_id": "a", "base_url": "https://a"}, {"source_id": "a", "base_url": "https://b"}]"#)
                == "EXPORTER_SOURCES_JSON[1].source_id: \"a\" is given twice")
        #expect(
            first(#"[{"source_id": "a", "base_url": "https://a", "timeout_seconds": "x"}]"#)
                == "EXPORTER_SOURCES_JSON[0].timeout_seconds: must be a whole number of seconds")
        #expect(first(#"{"source_id": "a"}"#) == "EXPORTER_SOURCES_JSON: must be a JSON array of source objects")
        #expect(first("[]") == "EXPORTER_SOURCES_JSON: the array is empty")
        #expect(
            problems(["DATABASE_URL": "postgres://u@h/db"]) == [
                "EXPORTER_SOURCES_JSON: neither EXPORTER_SOURCES_JSON nor EXPORTER_BASE_URL is set"
            ])
        #expect(
            problems(["EXPORTER_BASE_URL": "https://a"]) == [
                "DATABASE_URL: not set (the ledger database is required)"
            ])
    }

    @Test func legacyEnvInPluginsYAMLAddsTheSourcesToItsOwn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let yaml = """
            version: 1
            legacy_env: true
            state: { store: file, path: state }
            sources:
              fixtures: { type: file_replay, path: \(Repository.root)/examples/fixtures/xray-snapshots.jsonl, format: xray_snapshots }
            sinks:
              audit: { type: jsonl_audit, path: audit }
            pipelines:
              main: { sources: [fixtures, default], sinks: [audit] }
            """
        try yaml.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader(registry: .builtIn()).load(
            file: dir.file("plugins.yaml"), context: context(["EXPORTER_BASE_URL": "https://exporter.internal"]))
        #expect(configuration.sources.map(\.id) == ["fixtures", "default"])
        #expect(configuration.pipelines.first?.sources.count == 2)
        // Without the flag the same document refers to a source that does not exist.
        let plain = yaml.replacingOccurrences(of: "legacy_env: true", with: "legacy_env: false")
        try plain.write(toFile: dir.file("plain.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationInvalid.self) {
            try ConfigLoader(registry: .builtIn()).load(
                file: dir.file("plain.yaml"), context: context(["EXPORTER_BASE_URL": "https://exporter.internal"]))
        }
    }

    @Test func validateLegacyEnvFromTheCommandLine() throws {
        let good = try BillingServiceProcess.run(
            ["validate", "--legacy-env", "--config", "/nonexistent/plugins.yaml"],
            environment: [
                "EXPORTER_SOURCES_JSON": #"[{"source_id": "edge-1", "base_url": "https://edge-1.example.net"}]"#,
                "INTERNAL_SERVICE_TOKEN": "tok-4b1d9e2f7a3c6d05",
                "DATABASE_URL": "postgres://billing@127.0.0.1:1/billing",
            ])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("environment: valid (1 sources, 1 sinks, 1 pipelines): edge-1"), "\(good.stdout)")
        #expect(!(good.stdout + good.stderr).contains("tok-4b1d9e2f7a3c6d05"))
        let bad = try BillingServiceProcess.run(
            ["validate", "--legacy-env", "--config", "/nonexistent/plugins.yaml"],
            environment: ["EXPORTER_SOURCES_JSON": "[{]", "DATABASE_URL": "postgres://billing@127.0.0.1:1/billing"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("EXPORTER_SOURCES_JSON: invalid JSON at column 3"), "\(bad.stderr)")
    }
}
