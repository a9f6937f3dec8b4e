import Core
import Foundation
import Generator
import Testing
import WireFormats

/// A tiny run written byte for byte: the generator's output must never drift, or
/// fixtures and benchmark baselines made with an earlier build stop matching.
struct GeneratorGoldenTests {
    static let settings = GeneratorSettings(
        seed: 1, subjects: 2, nodes: 1, families: [.xray, .vm], interval: .seconds(60), duration: .seconds(120),
        env: "golden")

    static func fixture(_ format: FixtureFormat) throws -> String {
        let path = FixtureParsing.temporaryPath("golden.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try GeneratorSource(id: "g", settings: settings).writeFixture(format: format, to: path)
        return String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
    }

    @Test func xraySnapshotsGolden() throws {
        #expect(try Self.fixture(.xraySnapshots) == Self.xrayGolden)
    }

    @Test func vmMetricsGolden() throws {
        #expect(try Self.fixture(.vmMetrics) == Self.vmGolden)
    }

    @Test func aBadConfigMakesNoSource() throws {
        let node = ConfigNode(
            .mapping([ConfigNode.Entry(key: "nodes", keyLine: 3, value: ConfigNode(.scalar("0"), line: 3))]), line: 2)
        let diagnostics = ConfigDiagnostics()
        let made = GeneratorFactory().makeSource(
            id: "g", config: ConfigMap(node, path: "sources.g", diagnostics: diagnostics),
            context: GeneratorConfigTests.context)
        #expect(made == nil)
        #expect(diagnostics.problems.map(\.path) == ["sources.g.nodes"])
        #expect(diagnostics.problems.map(\.line) == [3])
    }

    static let xrayGolden = #"""
        {"collected_at":"2026-01-01T00:00:00Z","node_id":"node-1","env":"golden","samples":[{"uuid":"165865b2-6607-413b-8881-6b319e656403","email":"user1@example.test","inbound_tag":"","uplink_bytes_total":3136388,"downlink_bytes_total":6359545},{"uuid":"3a574dc4-7ffd-4171-acc8-b3495cb02ff2","email":"user2@example.test","inbound_tag":"","uplink_bytes_total":3119,"downlink_bytes_total":23633}]}
        {"collected_at":"2026-01-01T00:01:00Z","node_id":"node-1","env":"golden","samples":[{"uuid":"165865b2-6607-413b-8881-6b319e656403","email":"user1@example.test","inbound_tag":"","uplink_bytes_total":4861278,"downlink_bytes_total":27904463},{"uuid":"3a574dc4-7ffd-4171-acc8-b3495cb02ff2","email":"user2@example.test","inbound_tag":"","uplink_bytes_total":3490,"downlink_bytes_total":24527}]}

        """#
    static let vmGolden = #"""
        {"vm_id":"02d76340-dee7-4136-abcd-e7d182c8684d","customer_id":"customer-1","metrics":[{"timestamp":"2026-01-01T00:00:00Z","cpu_time_nanos":"50339662715","memory_usage_bytes":"1573891430","disk_read_bytes":"13244992","disk_write_bytes":"6070396","network_rx_bytes":"27965922","network_tx_bytes":"2714387"}]}
        {"vm_id":"b0df21be-51d1-4880-aec2-2f06ac428c77","customer_id":"customer-2","metrics":[{"timestamp":"2026-01-01T00:00:00Z","cpu_time_nanos":"58911728659","memory_usage_bytes":"1636539841","disk_read_bytes":"1468344","disk_write_bytes":"2176058","network_rx_bytes":"10712102","network_tx_bytes":"2793599"}]}
        {"vm_id":"02d76340-dee7-4136-abcd-e7d182c8684d","customer_id":"customer-1","metrics":[{"timestamp":"2026-01-01T00:01:00Z","cpu_time_nanos":"85751157567","memory_usage_bytes":"2130935537","disk_read_bytes":"18610370","disk_write_bytes":"11901163","network_rx_bytes":"31827479","network_tx_bytes":"3300871"}]}
        {"vm_id":"b0df21be-51d1-4880-aec2-2f06ac428c77","customer_id":"customer-2","metrics":[{"timestamp":"2026-01-01T00:01:00Z","cpu_time_nanos":"89018399619","memory_usage_bytes":"1451204600","disk_read_bytes":"6427128","disk_write_bytes":"2553409","network_rx_bytes":"25445786","network_tx_bytes":"5806330"}]}

        """#
}
