import AsyncAlgorithms
public import Core
import Logging
import Synchronization

extension PipelineEngine {
    /// The engine's writer task: writes each metered batch to every sink and
    /// commits its state, one at a time in sequence order, while the engine
    /// meters the next one. After a failure it refuses what follows (metered
    /// from the failed batch's baselines) until the engine has recovered.
    final class Writer: Sendable {
        let engine: PipelineEngine
        private let failed = Mutex<(error: (any Error)?, source: String?)>((nil, nil))

        init(engine: PipelineEngine) { self.engine = engine }

        /// The first error since the engine last recovered.
        var failure: (any Error)? { failed.withLock { $0.error } }
        /// The source of the batch that failed.
        var failedSource: String? { failed.withLock { $0.source } }

        /// Called by the engine, with the writer idle, once state and sinks are rolled back.
        func clearFailure() { failed.withLock { $0 = (nil, nil) } }

        func run(_ writes: AsyncChannel<Write>) async {
            let committer = engine.committer
            for await write in writes {
                switch write {
                case .barrier:
                    continue
                case .status(let source, let sourceState, let reply):
                    guard failure == nil else {
                        reply?.resume(returning: nil)
                        continue
                    }
                    do {
                        try await committer.store.recordStatus(
                            pipeline: engine.id, source: source, state: sourceState)
                        engine.publish(source, sourceState)
                    } catch {
                        engine.logger.warning(
                            "could not record the source's failure",
                            metadata: ["source": "\(source)", "error": "\(error)"])
                    }
                    reply?.resume(returning: nil)
                case .batch(let prepared, let source, let position, let reply):
                    if let earlier = failure {
                        reply?.resume(
                            throwing: WorkRefusal(
                                .unavailable,
                                "pipeline \(engine.id): a batch before this one failed (\(earlier)); nothing of "
                                    + "this one was written, retry it"))
                        continue
                    }
                    var logger = engine.logger
                    logger[metadataKey: "source"] = "\(source)"
                    logger[metadataKey: "batch"] = "\(prepared.outcome.sequence)"
                    do {
                        try await committer.write(prepared, logger: logger)
                    } catch {
                        logger.error("batch failed; nothing of it was committed", metadata: ["error": "\(error)"])
                        failed.withLock { $0 = (error, source) }
                        reply?.resume(throwing: error)
                        engine.wakeAfterFailure()
                        continue
                    }
                    let outcome = prepared.outcome
                    engine.publish(source, outcome.sourceState)
                    engine.observer?.committed(source: source, outcome: outcome)
                    if engine.feed.hasReaders {
                        engine.feed.publish(
                            CommittedBatch(
                                pipeline: engine.id, sequence: outcome.sequence, source: source,
                                facts: prepared.facts.facts))
                    }
                    logger.debug(
                        "batch committed",
                        metadata: [
                            "observations": "\(outcome.observations)", "facts": "\(outcome.facts)",
                            "position": "\(position)",
                        ])
                    reply?.resume(returning: outcome)
                }
            }
        }
    }

    /// Lets a serving engine recover at once after a failed write, not only when the next batch comes.
    func wakeAfterFailure() {
        inbox.yield(Job(source: "", work: .wake, reply: nil))
    }
}
