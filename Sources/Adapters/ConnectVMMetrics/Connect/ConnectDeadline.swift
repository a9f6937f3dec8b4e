import Synchronization

/// `Connect-Timeout-Ms`: how long the client waits for an answer (≤ 10 digits).
///
/// Exists so a call past its deadline is answered `deadline_exceeded` instead
/// of held open. The work itself is not cancelled: a batch being made durable
/// finishes (a retry of it changes nothing, fact ids are deterministic).
public struct ConnectDeadline: Sendable, Hashable {
    public var milliseconds: Int64

    /// nil when the header is absent; a value that is not 1 to 10 digits is `invalid_argument`.
    public init?(header value: String?) throws(ConnectError) {
        guard let value else { return nil }
        guard (1...10).contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let milliseconds = Int64(value)
        else {
            throw ConnectError(
                .invalidArgument, "Connect-Timeout-Ms \"\(value)\" is not a positive integer of at most 10 digits")
        }
        self.milliseconds = milliseconds
    }

    /// Runs `work` to its end, but returns `deadline_exceeded` once the deadline passes first.
    public func race<T: Sendable>(_ work: @escaping @Sendable () async -> Result<T, ConnectError>) async -> Result<
        T, ConnectError
    > {
        let timeout = Duration.milliseconds(milliseconds)
        let limit = milliseconds
        let slot = ResultSlot<T>()
        let sleeper = Mutex<Task<Void, Never>?>(nil)
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, ConnectError>, Never>) in
            slot.install(continuation)
            Task { slot.resume(await work()) }
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                slot.resume(.failure(ConnectError(.deadlineExceeded, "no answer within Connect-Timeout-Ms \(limit)")))
            }
            sleeper.withLock { $0 = timer }
        }
        sleeper.withLock { $0?.cancel() }
        return result
    }
}

/// Resumes a continuation with the first result only.
final class ResultSlot<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Result<T, ConnectError>, Never>?>(nil)

    func install(_ value: CheckedContinuation<Result<T, ConnectError>, Never>) {
        continuation.withLock { $0 = value }
    }

    func resume(_ result: Result<T, ConnectError>) {
        let waiting = continuation.withLock { slot in
            let current = slot
            slot = nil
            return current
        }
        waiting?.resume(returning: result)
    }
}
