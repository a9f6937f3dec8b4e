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
///
/// **A batch that did not commit everywhere.** A pipeline writes a batch to its
/// sinks one after another and commits its state last. When any of those steps
/// fails, some sinks hold a batch the state store never committed. The pipeline
/// then reloads the committed state and calls `rollBack` on every sink before
/// anything else is written, because the next batch reuses the sequence with
/// different facts (metered again from the committed baselines): a sink that
/// kept the failed batch would skip the next one as a replay, or bill the same
/// increase twice. `open` holds the same duty for what a crash left behind.
/// See docs/operations.md, "A batch that fails".
public protocol FactSink: Sendable {
    /// The `sinks.<id>` key.
    var id: String { get }
    /// Called before the first write, with the last batch sequence the
    /// pipeline's state store committed. Like `rollBack`, it removes (or
    /// forgets) whatever the sink holds of batches after that sequence, left by
    /// a process that died before committing them.
    func open(pipeline: String, lastCommittedSequence: UInt64) async throws
    /// Makes the batch durable. Throws `PluginError` (retryable or permanent).
    func write(_ batch: FactBatch) async throws
    /// Makes the sink as if no batch after `lastCommittedSequence` had ever
    /// been written to it: their facts removed, their sequences free to be
    /// written again with other facts. Idempotent, and cheap when there is
    /// nothing to undo. Throws `PluginError`; until it succeeds the pipeline
    /// writes nothing.
    func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws
    /// Flushes and releases resources.
    func close() async throws
}
