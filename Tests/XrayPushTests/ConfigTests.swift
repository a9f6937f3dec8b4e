import Core
import Foundation
import TestKit
import Testing
import YAMLConfig

@testable import XrayPush

@Suite("xray_push configuration")
struct ConfigTests {
    static let directory = Repository.path("Sources/Adapters/XrayPush")

    static func decode(_ yaml: String) throws -> (XrayPushSettings?, [ConfigProblem]) {
        let root = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.push", diagnostics: diagnostics)
        return (XrayPushFactory.decode(map)?.0, diagnostics.problems)
    }

    @Test("sample.yaml decodes through the real factory with every key")
    func sample() throws {
        let text = try String(contentsOfFile: Self.directory + "/sample.yaml", encoding: .utf8)
        let root = try YAMLDocument.parse(text, file: "sample.yaml")
        let diagnostics = ConfigDiagnostics()
        let sources = ConfigMap(root, path: "sources", diagnostics: diagnostics)
        let entry = try #require(sources.map("edge_push"))
        #expect(entry.string("type") == "xray_push")
        let source = XrayPushFactory().makeSource(id: "edge_push", config: entry, context: Fixture.context)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        let push = try #require(source as? XrayPushSource)
        #expect(push.settings.maxBodyBytes == 32 << 20)
        #expect(push.settings.expectedEnv == "production")
        #expect(push.settings.allowedNodeIDs == ["edge-1", "edge-2"])
        #expect(push.metering.initialSync == .baseline)
        #expect(push.metering.expectedInterval == .seconds(60))
        #expect(push.metering.window == XrayPushSettings.defaultWindow)
    }

    @Test("defaults: 32 MiB, any env, any node")
    func defaults() throws {
        let (settings, problems) = try Self.decode("{}\n")
        #expect(problems.isEmpty)
        #expect(settings == XrayPushSettings())
    }

    @Test("every problem is reported with its path and line, unknown keys listed")
    func problems() throws {
        let (settings, problems) = try Self.decode(
            "max_body_bytes: 12\nexpected_env: \"\"\nallowed_node_ids: [a, \"\"]\nbase_url: x\n")
        #expect(settings == nil)
        let byPath = Dictionary(grouping: problems, by: \.path)
        #expect(byPath["sources.push.max_body_bytes"]?.first?.line == 1)
        #expect(byPath["sources.push.expected_env"]?.first?.line == 2)
        #expect(byPath["sources.push.allowed_node_ids"]?.first?.line == 3)
        let unknown = try #require(byPath["sources.push.base_url"]?.first)
        #expect(unknown.line == 4)
        #expect(unknown.message.contains("unknown key"))
        #expect(unknown.message.contains("max_body_bytes"))
    }
}
