import Core
import Foundation
import Logging
import Metrics

/// Snapshot bodies and a plugin context for the push tests.
enum Fixture {
    static let context = PluginContext(
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), metrics: NOOPMetricsHandler.instance,
        clock: FixedClock(), baseDirectory: "/etc/billing", environment: { _ in nil })

    struct FixedClock: WallClock {
        func now() -> Timestamp { Timestamp(secondsSinceEpoch: 1_767_225_600) }
    }

    /// One compact snapshot object (one line) at `minute` past 2026-01-01T00:00Z.
    static func snapshot(minute: Int, node: String = "edge-1", env: String = "production", up: UInt64 = 1_000)
        -> String
    {
        let time = String(format: "2026-01-01T00:%02d:00Z", minute)
        return #"{"collected_at":"\#(time)","node_id":"\#(node)","env":"\#(env)","samples":["#
            + #"{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(up),"downlink_bytes_total":\#(up * 3)},"#
            + #"{"uuid":"u-2","email":"b@example.com","inbound_tag":"vless","uplink_bytes_total":\#(up + 7),"downlink_bytes_total":5}]}"#
    }
}
