import Synchronization

/// Runs an operation with a time limit and returns when either ends, without
/// waiting for an operation that ignores cancellation (a connection attempt to
/// an unreachable host): it is cancelled and left to finish on its own.
///
/// Exists because a structured task group waits for every child, so one stuck
/// child would make the deadline itself hang.
enum Deadline {
    enum Outcome<Value: Sendable>: Sendable {
        case finished(Result<Value, any Error>)
        case timedOut
    }

    static func run<Value: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> Value
    ) async -> Outcome<Value> {
        let race = Race<Value>()
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<Value>, Never>) in
            race.start(
                continuation,
                work: Task {
                    do {
                        race.end(.finished(.success(try await operation())))
                    } catch {
                        race.end(.finished(.failure(error)))
                    }
                },
                timer: Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    race.end(.timedOut)
                })
        }
        race.cancelBoth()
        return outcome
    }

    /// The operation against the clock: the first to end resumes the caller.
    private final class Race<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Outcome<Value>, Never>?
            var early: Outcome<Value>?
            var tasks: [Task<Void, Never>] = []
        }
        private let state = Mutex(State())

        func start(
            _ continuation: CheckedContinuation<Outcome<Value>, Never>, work: Task<Void, Never>,
            timer: Task<Void, Never>
        ) {
            let early = state.withLock { current -> Outcome<Value>? in
                current.tasks = [work, timer]
                if let early = current.early { return early }
                current.continuation = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }

        func end(_ outcome: Outcome<Value>) {
            let continuation = state.withLock { current -> CheckedContinuation<Outcome<Value>, Never>? in
                defer { current.continuation = nil }
                if current.continuation == nil, current.early == nil { current.early = outcome }
                return current.continuation
            }
            continuation?.resume(returning: outcome)
        }

        func cancelBoth() {
            for task in state.withLock({ $0.tasks }) { task.cancel() }
        }
    }
}
