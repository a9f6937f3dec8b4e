import Core
import Foundation
import Logging
import Metrics
import TestKit
import Testing
import YAMLConfig

@testable import Host

@Suite struct ConfigLoaderTests {
    /// The clock of the host tests' contexts.
    static let clock = FixedClock(Timestamp(secondsSinceEpoch: 1_800_000_000))

    func context(base: String = Repository.root) -> PluginContext {
        .testing(clock: Self.clock, baseDirectory: base)
    }

    func problems(_ yaml: String) throws -> [String] {
        let node = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        do {
            _ = try ConfigLoader(registry: .builtIn()).load(root: node, file: "plugins.yaml", context: context())
            return []
        } catch {
            return error.errors.flatMap { $0.problems.map(\.description) }
        }
    }

    @Test func theShippedDefaultConfigIsValid() throws {
        let file = Repository.root + "/plugins.yaml"
        let configuration = try ConfigLoader(registry: .builtIn()).load(file: file, context: context())
        #expect(configuration.pipelines.map(\.id) == ["main", "synthetic"])
        #expect(configuration.pricing != nil)
        #expect(configuration.state == .file(path: Repository.root + "/var/state"))
    }

    @Test func listsEveryProblemAtOnceWithPathAndLine() throws {
        let yaml = """
            version: 1
            state: { store: file, path: var/state }
            sources:
              fixtures: { type: file_replay, path: examples/fixtures/xray-snapshots.jsonl, format: xray }
              other: { type: kafka }
            sinks:
              audit: { type: jsonl_audit, path: var/audit, colour: red }
            pipelines:
              main: { sources: [fixtures, missing], sinks: [audit] }
              second: { sources: [fixtures], sinks: [audit] }
            extra: true
            """
        let found = try problems(yaml)
        #expect(
            found.contains(
                "sources.fixtures.format (line 4): unknown value \"xray\" (valid: xray_snapshots, vm_metrics, observations)"
            ))
        #expect(found.contains { $0.hasPrefix("sources.other.type (line 5): unknown source type \"kafka\" (valid: ") })
        #expect(found.contains { $0.hasPrefix("sinks.audit.colour (line 7): unknown key") })
        #expect(found.contains { $0.hasPrefix("pipelines.main.sources (line 9): unknown source \"missing\"") })
        #expect(
            found.contains { $0.hasPrefix("pipelines.second.sources (line 10): source \"fixtures\" already feeds") })
        #expect(found.contains { $0.hasPrefix("pipelines.second.sinks (line 10): sink \"audit\" is already written") })
        #expect(found.contains { $0.hasPrefix("extra (line 11): unknown key") })
    }

    @Test func requiredSectionsAreNamed() throws {
        let found = try problems("version: 2\n")
        #expect(found.contains { $0.hasPrefix("version (line 1): 2 is out of range") })
        #expect(found.contains("sources (line 1): required key is missing"))
        #expect(found.contains("sinks (line 1): required key is missing"))
        #expect(found.contains("pipelines (line 1): required key is missing"))
    }

    @Test func aBadPriceBookIsReportedWithItsOwnFileAndLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "version: \"x\"\ncurrency: XXX\n".write(toFile: dir.file("book.yaml"), atomically: true, encoding: .utf8)
        let yaml = """
            version: 1
            sources:
              g: { type: generator, seed: 1, subjects: 1, nodes: 1, start: "2026-11-01T00:00:00Z", duration: 1h }
            rating: { price_book: book.yaml }
            sinks:
              audit: { type: jsonl_audit, path: audit }
            pipelines:
              main: { sources: [g], sinks: [audit] }
            """
        let node = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        #expect {
            _ = try ConfigLoader(registry: .builtIn()).load(
                root: node, file: "plugins.yaml", context: context(base: dir.path))
        } throws: { error in
            guard let invalid = error as? ConfigurationInvalid else { return false }
            return invalid.errors.contains { $0.file.hasSuffix("book.yaml") && $0.problems.contains { $0.line == 2 } }
        }
    }

    @Test func theRegistryRefusesADuplicateType() {
        #expect(throws: RegistryError.self) {
            _ = try PluginRegistry(
                sources: PluginRegistry.builtIn().sourceFactories + [PluginRegistry.builtIn().sourceFactories[0]],
                sinks: [])
        }
    }
}
