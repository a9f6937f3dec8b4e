public import Core

/// Where an `exporter_pull` source resumes: the end of the last window whose
/// snapshots were all delivered (and committed). The next window starts at
/// `until` minus the overlap, so no minute is ever skipped.
public struct ExporterPullCursor: Hashable, Sendable, Codable {
    /// RFC 3339 with nanoseconds in the state file, so it reads like the exporter's cursors.
    public var until: Timestamp

    public init(until: Timestamp) { self.until = until }

    enum CodingKeys: String, CodingKey { case until }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.until = try c.decode(Timestamp.self, forKey: .until)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(until.rfc3339(fractionalDigits: .nanoseconds), forKey: .until)
    }
}
