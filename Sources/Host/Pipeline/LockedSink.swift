public import Core

/// A sink that writes only while this process holds its pipeline's lock.
///
/// Exists so a process whose lock was lost (its connection dropped: another
/// process may have taken the pipeline over) stops writing at once, batch by
/// batch, instead of metering on from baselines that are no longer the only
/// ones. `open` and `rollBack` remove what came after the committed sequence,
/// so they are refused too: they could remove the new holder's batches.
public struct LockedSink: FactSink {
    public let base: any FactSink
    public let lock: PipelineLock

    public init(base: any FactSink, lock: PipelineLock) {
        self.base = base
        self.lock = lock
    }

    public var id: String { base.id }

    public func open(pipeline: String, lastCommittedSequence: UInt64) async throws {
        try requireLock()
        try await base.open(pipeline: pipeline, lastCommittedSequence: lastCommittedSequence)
    }

    public func write(_ batch: FactBatch) async throws {
        try requireLock()
        try await base.write(batch)
    }

    public func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {
        try requireLock()
        try await base.rollBack(pipeline: pipeline, toCommitted: lastCommittedSequence)
    }

    public func close() async throws { try await base.close() }

    private func requireLock() throws {
        guard lock.isHeld else {
            throw PluginError(
                .permanent, component: "sinks.\(base.id)",
                "this process does not hold pipeline \(lock.pipeline)'s lock (lost or never taken); nothing written")
        }
    }
}
