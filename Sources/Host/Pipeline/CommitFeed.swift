public import Core
import Synchronization

/// Every batch a pipeline commits, for the readers that follow them live
/// (a push source's usage stream). A reader that stops iterating is dropped;
/// a slow one keeps only the newest `bufferedBatches`.
public final class CommitFeed: Sendable {
    private let readers = Mutex<(next: Int, continuations: [Int: AsyncStream<CommittedBatch>.Continuation])>(
        (0, [:]))
    /// Batches kept for a reader that has not taken them yet.
    static let bufferedBatches = 64

    public init() {}

    /// The batches committed from now on.
    public func subscribe() -> AsyncStream<CommittedBatch> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: CommittedBatch.self, bufferingPolicy: .bufferingNewest(Self.bufferedBatches))
        let key = readers.withLock { state in
            let key = state.next
            state.next += 1
            state.continuations[key] = continuation
            return key
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.readers.withLock { $0.continuations.removeValue(forKey: key) }
        }
        return stream
    }

    /// Whether anyone follows the commits (publishing costs nothing otherwise).
    public var hasReaders: Bool { readers.withLock { !$0.continuations.isEmpty } }

    public func publish(_ batch: CommittedBatch) {
        let continuations = readers.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(batch) }
    }

    /// Ends every reader's stream (the pipeline stopped).
    public func finish() {
        let continuations = readers.withLock { state in
            defer { state.continuations = [:] }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
