public import Core

/// One xray-exporter snapshot (UPSTREAMS §1): every account's raw cumulative
/// counters on one node at one instant. A line of an `xray_snapshots` fixture.
public struct XraySnapshot: Hashable, Sendable {
    public var collectedAt: Timestamp
    public var nodeID: String
    public var env: String
    public var samples: [XraySample]

    public init(collectedAt: Timestamp, nodeID: String, env: String, samples: [XraySample]) {
        self.collectedAt = collectedAt
        self.nodeID = nodeID
        self.env = env
        self.samples = samples
    }
}

/// One account's counters in a snapshot. The exporter sends int64; negative
/// values are rejected by the decoder, so the counters are unsigned here.
public struct XraySample: Hashable, Sendable {
    public var uuid: String
    public var email: String
    /// Often empty: the exporter merges a user's inbounds.
    public var inboundTag: String
    public var uplinkBytesTotal: UInt64
    public var downlinkBytesTotal: UInt64

    public init(uuid: String, email: String, inboundTag: String, uplinkBytesTotal: UInt64, downlinkBytesTotal: UInt64) {
        self.uuid = uuid
        self.email = email
        self.inboundTag = inboundTag
        self.uplinkBytesTotal = uplinkBytesTotal
        self.downlinkBytesTotal = downlinkBytesTotal
    }
}

/// One page of `GET /v1/snapshots/window` (UPSTREAMS §1).
public struct XrayWindowPage: Hashable, Sendable {
    public var nodeID: String
    public var env: String
    public var snapshots: [XraySnapshot]
    public var hasMore: Bool
    /// The `collected_at` of the page's last snapshot; `nil` when the field was omitted (empty).
    public var nextCursor: String?

    public init(nodeID: String, env: String, snapshots: [XraySnapshot], hasMore: Bool, nextCursor: String?) {
        self.nodeID = nodeID
        self.env = env
        self.snapshots = snapshots
        self.hasMore = hasMore
        self.nextCursor = nextCursor
    }
}

/// Metric names and dimension keys the xray format maps to (one place, so the
/// decoder, the generator and the docs agree).
public enum XrayMetrics {
    public static let uplink = "traffic.uplink_bytes"
    public static let downlink = "traffic.downlink_bytes"

    /// The observations one sample yields: uplink then downlink, cumulative,
    /// subject = uuid, dimensions env, inbound_tag, node_id (sorted by key).
    public static func observations(of sample: XraySample, in snapshot: XraySnapshot, source: String) -> [Observation] {
        let dimensions = [
            Dimension("env", snapshot.env), Dimension("inbound_tag", sample.inboundTag),
            Dimension("node_id", snapshot.nodeID),
        ]
        return [
            Observation(
                series: SeriesKey(source: source, subject: sample.uuid, metric: uplink, sortedDimensions: dimensions),
                time: snapshot.collectedAt, value: .cumulative(sample.uplinkBytesTotal)),
            Observation(
                series: SeriesKey(source: source, subject: sample.uuid, metric: downlink, sortedDimensions: dimensions),
                time: snapshot.collectedAt, value: .cumulative(sample.downlinkBytesTotal)),
        ]
    }
}
