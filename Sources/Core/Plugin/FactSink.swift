/// The facts of one pipeline batch, in the order metering produced them.
public struct FactBatch: Sendable {
    /// The `pipelines.<id>` key.
    public var pipeline: String
    /// 1, 2, … per pipeline; the state store commits the last one written everywhere.
    public var sequence: UInt64
    /// The source the batch came from.
    public var source: String
    public var facts: [UsageFact]
    /// The state to commit once every sink acknowledged. A sink that is also the
    /// pipeline's state store commits it in the same transaction as the facts.
    public var stateCommit: StateCommit

    public init(pipeline: String, sequence: UInt64, source: String, facts: [UsageFact], stateCommit: StateCommit) {
        self.pipeline = pipeline
        self.sequence = sequence
        self.source = source
        self.facts = facts
        self.stateCommit = stateCommit
    }
}

/// A sink: the `sinks.<id>` entry of plugins.yaml, made by its factory.
///
/// `write` returns only when the batch is durable, and writing the same batch
/// twice changes nothing (idempotent by fact id or by batch sequence).
public protocol FactSink: Sendable {
    /// The `sinks.<id>` key.
    var id: String { get }
    /// Called once before the first write, with the last batch sequence the
    /// pipeline's state store committed: a sink may cut what came after it.
    func open(pipeline: String, lastCommittedSequence: UInt64) async throws
    /// Makes the batch durable. Throws `PluginError` (retryable or permanent).
    func write(_ batch: FactBatch) async throws
    /// Flushes and releases resources.
    func close() async throws
}
