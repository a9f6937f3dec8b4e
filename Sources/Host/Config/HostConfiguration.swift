public import Core
public import Rating

/// A validated plugins.yaml: every component built, every reference resolved.
public struct HostConfiguration: Sendable {
    /// Where pipeline state lives.
    public enum StateStoreChoice: Sendable, Equatable {
        /// A local directory (snapshot + journal, fsynced).
        case file(path: String)
        /// The named sink, of a type that keeps state with its data
        /// (`StateStoreProvider`): each batch's state commits in its write transaction.
        case sink(id: String, type: String)
    }

    /// Which sources feed which sinks.
    public struct Pipeline: Sendable {
        public var id: String
        public var sources: [any ObservationSource]
        public var sinks: [any FactSink]
    }

    /// The config file this came from.
    public var file: String
    public var version: Int
    public var state: StateStoreChoice
    public var pricing: PriceCatalog?
    public var pipelines: [Pipeline]
    /// Every source by id, in document order (also those no pipeline uses, e.g. for `generate`).
    public var sources: [(id: String, source: any ObservationSource)]
    /// The YAML `type:` of every source, by id (for status pages and logs).
    public var sourceTypes: [String: String] = [:]
    /// The `service:` section (the daemon's listener and tokens); `nil` when absent.
    public var service: ServiceSettings? = nil
    /// The `invoicing:` section (defaults when absent).
    public var invoicing = InvoicingSection()
    /// Every sink declared under `sinks:`, by id, also those no pipeline writes
    /// (the invoicing audit trail).
    public var sinksByID: [String: any FactSink] = [:]
}
