import Core
import Foundation
import Logging
import Metrics
import TestKit
import Testing
import YAMLConfig

@testable import ConnectVMMetrics

@Suite("connect_vm_metrics configuration")
struct ConfigTests {
    static let directory = Repository.path("Sources/Adapters/ConnectVMMetrics")

    static let context = PluginContext.testing(clock: FixedClock(ConnectFixture.now), baseDirectory: "/etc/billing")

    @Test("sample.yaml decodes through the real factory with every key")
    func sample() throws {
        let text = try String(contentsOfFile: Self.directory + "/sample.yaml", encoding: .utf8)
        let root = try YAMLDocument.parse(text, file: "sample.yaml")
        let diagnostics = ConfigDiagnostics()
        let sources = ConfigMap(root, path: "sources", diagnostics: diagnostics)
        let entry = try #require(sources.map("vm_metrics"))
        #expect(entry.string("type") == "connect_vm_metrics")
        let source = ConnectVMMetricsFactory().makeSource(id: "vm_metrics", config: entry, context: Self.context)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        let vm = try #require(source as? ConnectVMMetricsSource)
        #expect(
            vm.settings
                == ConnectVMMetricsSettings(maxBodyBytes: 16 << 20, region: "eu-west-1", staleAfter: .seconds(300)))
        #expect(vm.metering.expectedInterval == .milliseconds(100))
        #expect(vm.metering.gapAttribution == .spread)
        #expect(vm.metering.window == ConnectVMMetricsSettings.defaultWindow)
        #expect(
            vm.routes.map(\.description) == [
                "POST /billing.v1.BillingService/{method}", "POST /billing.v1.BillingCollectorService/{method}",
                "POST /billing.v1.BillingQueryService/{method}",
            ])
        #expect(vm.routes.map(\.scope) == [.ingest, .ingest, .read])
    }

    @Test("problems carry their path and line; unknown keys are listed")
    func problems() throws {
        let root = try YAMLDocument.parse(
            "max_body_bytes: 12\nregion: \"\"\nstale_after: 0s\nbase_url: x\n", file: "t.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.vm", diagnostics: diagnostics)
        #expect(ConnectVMMetricsFactory.decode(map) == nil)
        let byPath = Dictionary(grouping: diagnostics.problems, by: \.path)
        #expect(byPath["sources.vm.max_body_bytes"]?.first?.line == 1)
        #expect(byPath["sources.vm.region"]?.first?.line == 2)
        #expect(byPath["sources.vm.stale_after"]?.first?.line == 3)
        #expect(byPath["sources.vm.base_url"]?.first?.message.contains("unknown key") == true)
    }
}
