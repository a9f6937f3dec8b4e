import Synchronization

/// The answer to one job queued on a `PipelineEngine`, given exactly once: by
/// the engine when the job is done, or earlier by a deadline or the caller's
/// cancellation, in which case the engine skips the job if it has not started.
///
/// Exists so a caller (a push) never waits longer than it was promised while
/// the pipeline is stuck on a dead database, and so a job nobody waits for any
/// more is not applied later behind the caller's back.
public final class JobReply: Sendable {
    private struct State {
        var continuation: CheckedContinuation<BatchOutcome?, any Error>?
        /// An answer given before the continuation was installed.
        var early: Result<BatchOutcome?, any Error>?
        var answered = false
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Whether the caller has its answer (the engine then skips the job).
    var isAnswered: Bool { state.withLock { $0.answered } }

    func install(_ continuation: CheckedContinuation<BatchOutcome?, any Error>) {
        let early = state.withLock { current -> Result<BatchOutcome?, any Error>? in
            if let early = current.early { return early }
            current.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Answers with `error` after `wait` unless the job was answered first.
    func expire(after wait: Duration, with error: @escaping @Sendable () -> any Error) {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: wait)) != nil else { return }
            self?.answer(.failure(error()))
        }
        let answered = state.withLock { current -> Bool in
            current.timer = timer
            return current.answered
        }
        if answered { timer.cancel() }
    }

    func resume(returning outcome: BatchOutcome?) { answer(.success(outcome)) }

    func resume(throwing error: any Error) { answer(.failure(error)) }

    private func answer(_ result: Result<BatchOutcome?, any Error>) {
        let taken = state.withLock { current -> (CheckedContinuation<BatchOutcome?, any Error>?, Task<Void, Never>?)? in
            guard !current.answered else { return nil }
            current.answered = true
            defer {
                current.continuation = nil
                current.timer = nil
            }
            if current.continuation == nil { current.early = result }
            return (current.continuation, current.timer)
        }
        guard let (continuation, timer) = taken else { return }
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
