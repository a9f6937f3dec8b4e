import Core
import Foundation
import TestKit

/// Snapshot bodies and a plugin context for the push tests.
enum Fixture {
    /// The clock reads 2026-01-01T00:00:00Z.
    static let context = PluginContext.testing(
        clock: FixedClock("2026-01-01T00:00:00Z"), baseDirectory: "/etc/billing")

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
