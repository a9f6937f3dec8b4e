import Core
import Foundation
import Logging
import Metrics
import TestKit
import Testing
import YAMLConfig

@testable import Generator

/// Issue 12, item 4: the generator takes the clock window too (unbounded by
/// default, since its times come from its own `start`).
@Suite("generator clock window")
struct GeneratorClockWindowTests {
    static let context = PluginContext.testing(clock: FixedClock("2026-11-01T00:00:00Z"))

    static func source(_ yaml: String) throws -> GeneratorSource {
        let root = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.synthetic", diagnostics: diagnostics)
        let source = GeneratorFactory().makeSource(id: "synthetic", config: map, context: Self.context)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        return try #require(source as? GeneratorSource)
    }

    @Test("unbounded by default: a scenario of any date runs")
    func unbounded() async throws {
        let source = try Self.source("start: \"2001-01-01T00:00:00Z\"\nduration: 2m\nsubjects: 2\n")
        #expect(source.metering.window == .unbounded)
        var reader = try await source.makeReader(from: nil)
        #expect(try await reader.next() != nil)
    }

    @Test("with max_age set, a scenario older than it fails with the generated time and the option")
    func bounded() async throws {
        let source = try Self.source("start: \"2001-01-01T00:00:00Z\"\nduration: 2m\nsubjects: 2\nmax_age: 30d\n")
        var reader = try await source.makeReader(from: nil)
        do {
            _ = try await reader.next()
            Issue.record("a generated time outside the window was accepted")
        } catch let error as PluginError {
            #expect(error.kind == .permanent)
            #expect(error.message.hasPrefix("generated timestamp 2001-01-01T00:00:00Z is "), "\(error.message)")
            #expect(error.message.contains("max_age is 30d"), "\(error.message)")
        }
    }
}
