public import Core

/// Decodes xray-exporter snapshots and window pages (UPSTREAMS §1) from raw UTF-8
/// JSON, and maps snapshots straight to observations on the replay hot path.
///
/// Required: `collected_at`, `node_id`, `env`, `samples`; per sample `uuid`
/// (non-empty), `uplink_bytes_total`, `downlink_bytes_total` (JSON integers,
/// 0...Int64.max). `email` and `inbound_tag` default to "" when absent. Every
/// string is a label held to `LabelRules` (uuid as a subject, the others as
/// dimension values); `collected_at` must be in `Timestamp.acceptedRange`. Keys may
/// come in any order; unknown keys are skipped; a known key given twice is an error.
public enum XraySnapshotDecoder {
    /// Decodes one snapshot object (a whole document: trailing bytes are an error).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireFormatError) -> XraySnapshot {
        var scanner = JSONScanner(bytes)
        let snapshot = try decodeSnapshot(&scanner, keepEmail: true)
        try scanner.finish()
        return snapshot
    }

    /// Decodes one snapshot from text.
    public static func decode(_ text: String) throws(WireFormatError) -> XraySnapshot {
        try withUTF8Bytes(of: text) { bytes throws(WireFormatError) in try decode(bytes) }
    }

    /// Decodes one snapshot and appends its observations, exactly as
    /// `XrayMetrics.observations(of:in:source:)` maps each sample, in sample order.
    /// Appends nothing when it throws.
    public static func appendObservations(
        of bytes: UnsafeRawBufferPointer, source: String, to observations: inout [Observation]
    ) throws(WireFormatError) {
        var scanner = JSONScanner(bytes)
        let snapshot = try decodeSnapshot(&scanner, keepEmail: false)
        try scanner.finish()
        appendObservations(of: snapshot, source: source, to: &observations)
    }

    /// Maps a decoded snapshot to observations (same result as `XrayMetrics.observations`
    /// for every sample, without a temporary array per sample).
    public static func appendObservations(
        of snapshot: XraySnapshot, source: String, to observations: inout [Observation]
    ) {
        observations.reserveCapacity(observations.count + snapshot.samples.count * 2)
        var lastTag: String? = nil
        var dimensions: [Dimension] = []
        let time = snapshot.collectedAt
        for sample in snapshot.samples {
            if lastTag != sample.inboundTag {
                dimensions = [
                    Dimension("env", snapshot.env), Dimension("inbound_tag", sample.inboundTag),
                    Dimension("node_id", snapshot.nodeID),
                ]
                lastTag = sample.inboundTag
            }
            observations.append(
                Observation(
                    series: SeriesKey(
                        source: source, subject: sample.uuid, metric: XrayMetrics.uplink, sortedDimensions: dimensions),
                    time: time, value: .cumulative(sample.uplinkBytesTotal)))
            observations.append(
                Observation(
                    series: SeriesKey(
                        source: source, subject: sample.uuid, metric: XrayMetrics.downlink,
                        sortedDimensions: dimensions),
                    time: time, value: .cumulative(sample.downlinkBytesTotal)))
        }
    }

    /// Decodes one page of `GET /v1/snapshots/window`. `node_id`, `env`, `snapshots`
    /// and `has_more` are required; `next_cursor` may be absent, null or empty (all `nil`).
    public static func decodeWindowPage(_ bytes: UnsafeRawBufferPointer) throws(WireFormatError) -> XrayWindowPage {
        var s = JSONScanner(bytes)
        try s.beginObject()
        let objectStart = s.index - 1
        var nodeID: String?
        var env: String?
        var snapshots: [XraySnapshot]?
        var hasMore: Bool?
        var nextCursor: String?
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try pageKeys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = pageNames[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            switch field {
            case 0: nodeID = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            case 1: env = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            case 2:
                snapshots = try inField(name) { () throws(WireFormatError) -> [XraySnapshot] in
                    try s.beginArray()
                    var list: [XraySnapshot] = []
                    var firstElement = true
                    while try s.nextElement(first: &firstElement) {
                        let position = list.count
                        let snapshot = try inField("[\(position)]") { () throws(WireFormatError) in
                            try decodeSnapshot(&s, keepEmail: true)
                        }
                        list.append(snapshot)
                    }
                    return list
                }
            case 3: hasMore = try inField(name) { () throws(WireFormatError) in try s.readBool() }
            default:
                let cursor = try inField(name) { () throws(WireFormatError) in try s.readOptionalString() }
                nextCursor = cursor?.isEmpty == true ? nil : cursor
            }
        }
        try s.finish()
        guard let nodeID else { throw s.error("required key is missing", at: objectStart).within("node_id") }
        guard let env else { throw s.error("required key is missing", at: objectStart).within("env") }
        guard let snapshots else { throw s.error("required key is missing", at: objectStart).within("snapshots") }
        guard let hasMore else { throw s.error("required key is missing", at: objectStart).within("has_more") }
        return XrayWindowPage(nodeID: nodeID, env: env, snapshots: snapshots, hasMore: hasMore, nextCursor: nextCursor)
    }

    private static let pageKeys = JSONKeyTable([
        ("node_id", 0), ("env", 1), ("snapshots", 2), ("has_more", 3), ("next_cursor", 4),
    ])
    private static let pageNames = ["node_id", "env", "snapshots", "has_more", "next_cursor"]

    private static let snapshotKeys = JSONKeyTable([("collected_at", 0), ("node_id", 1), ("env", 2), ("samples", 3)])
    private static let snapshotNames = ["collected_at", "node_id", "env", "samples"]

    private static let sampleKeys = JSONKeyTable([
        ("uuid", 0), ("email", 1), ("inbound_tag", 2), ("uplink_bytes_total", 3), ("downlink_bytes_total", 4),
    ])
    private static let sampleNames = ["uuid", "email", "inbound_tag", "uplink_bytes_total", "downlink_bytes_total"]

    static func decodeSnapshot(_ s: inout JSONScanner, keepEmail: Bool) throws(WireFormatError) -> XraySnapshot {
        try s.beginObject()
        let objectStart = s.index - 1
        var collectedAt: Timestamp?
        var nodeID: String?
        var env: String?
        var samples: [XraySample]?
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try snapshotKeys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = snapshotNames[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            switch field {
            case 0: collectedAt = try inField(name) { () throws(WireFormatError) in try s.readTimestamp() }
            case 1: nodeID = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            case 2: env = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            default:
                samples = try inField(name) { () throws(WireFormatError) -> [XraySample] in
                    try s.beginArray()
                    var list: [XraySample] = []
                    var firstElement = true
                    while try s.nextElement(first: &firstElement) {
                        let position = list.count
                        let sample = try inField("[\(position)]") { () throws(WireFormatError) in
                            try decodeSample(&s, keepEmail: keepEmail)
                        }
                        list.append(sample)
                    }
                    return list
                }
            }
        }
        guard let collectedAt else { throw s.error("required key is missing", at: objectStart).within("collected_at") }
        guard let nodeID else { throw s.error("required key is missing", at: objectStart).within("node_id") }
        guard let env else { throw s.error("required key is missing", at: objectStart).within("env") }
        guard let samples else { throw s.error("required key is missing", at: objectStart).within("samples") }
        return XraySnapshot(collectedAt: collectedAt, nodeID: nodeID, env: env, samples: samples)
    }

    static func decodeSample(_ s: inout JSONScanner, keepEmail: Bool) throws(WireFormatError) -> XraySample {
        try s.beginObject()
        let objectStart = s.index - 1
        var uuid: String?
        var email = ""
        var inboundTag = ""
        var uplink: UInt64?
        var downlink: UInt64?
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try sampleKeys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = sampleNames[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            switch field {
            case 0:
                let start = s.index
                let value = try inField(name) { () throws(WireFormatError) in try s.readLabel(.subject) }
                guard !value.isEmpty else { throw s.error("must not be empty", at: start).within(name) }
                uuid = value
            case 1:
                // Held to the label rules whether kept or not, so both paths accept the same input.
                if keepEmail {
                    email = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
                } else {
                    try inField(name) { () throws(WireFormatError) in try s.skipLabel(.dimensionValue) }
                }
            case 2: inboundTag = try inField(name) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            case 3: uplink = try inField(name) { () throws(WireFormatError) in try s.readCounter(allowString: false) }
            default:
                downlink = try inField(name) { () throws(WireFormatError) in try s.readCounter(allowString: false) }
            }
        }
        guard let uuid else { throw s.error("required key is missing", at: objectStart).within("uuid") }
        guard let uplink else {
            throw s.error("required key is missing", at: objectStart).within("uplink_bytes_total")
        }
        guard let downlink else {
            throw s.error("required key is missing", at: objectStart).within("downlink_bytes_total")
        }
        return XraySample(
            uuid: uuid, email: email, inboundTag: inboundTag, uplinkBytesTotal: uplink, downlinkBytesTotal: downlink)
    }
}
