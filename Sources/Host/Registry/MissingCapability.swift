/// No plugin of this build offers what a command needs (a registry built
/// without the sink type that reads audit trails, say).
public struct MissingCapability: Error, Sendable, CustomStringConvertible {
    /// What no plugin does, as a verb phrase (`reads audit trails`).
    public var capability: String

    public init(capability: String) { self.capability = capability }

    public var description: String { "no plugin type of this build \(capability)" }
}
