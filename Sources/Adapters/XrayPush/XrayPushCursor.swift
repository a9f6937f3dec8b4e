public import Core

/// Where an `xray_push` source stands: the latest `collected_at` any accepted
/// push carried. Push sources never resume from it (the exporter sends, we do
/// not fetch); it exists so status and lag report how current the data is.
public struct XrayPushCursor: Hashable, Sendable, Codable {
    public var latest: Timestamp

    public init(latest: Timestamp) { self.latest = latest }

    enum CodingKeys: String, CodingKey { case latest }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.latest = try c.decode(Timestamp.self, forKey: .latest)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(latest.rfc3339(fractionalDigits: .nanoseconds), forKey: .latest)
    }
}
