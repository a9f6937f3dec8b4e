public import Core
import Synchronization

/// Per-source circuit breaker: after `threshold` consecutive failed collections
/// the exporter is not called again until `cooldown` has passed, so a dead node
/// costs one fast error per cycle instead of a full retry ladder.
///
/// Shared by every reader made from one source (a reference held by the source).
public final class CircuitBreaker: Sendable {
    private struct State {
        var consecutiveFailures = 0
        var openUntil: Timestamp?
    }

    private let state = Mutex(State())
    public let threshold: Int
    public let cooldown: Duration

    public init(threshold: Int, cooldown: Duration) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// `nil` when a call may go ahead, else the instant the breaker closes again.
    public func openUntil(now: Timestamp) -> Timestamp? {
        state.withLock { s in
            guard let until = s.openUntil else { return nil }
            if now >= until {
                // Half-open: one collection may try; a failure reopens it at once.
                s.openUntil = nil
                s.consecutiveFailures = max(threshold - 1, 0)
                return nil
            }
            return until
        }
    }

    public func recordSuccess() {
        state.withLock { $0 = State() }
    }

    /// Counts a failed collection; returns whether the breaker is now open.
    @discardableResult
    public func recordFailure(now: Timestamp) -> Bool {
        state.withLock { s in
            s.consecutiveFailures += 1
            if s.consecutiveFailures >= threshold {
                s.openUntil = now.adding(cooldown)
                return true
            }
            return false
        }
    }

    public var consecutiveFailures: Int { state.withLock { $0.consecutiveFailures } }
}
