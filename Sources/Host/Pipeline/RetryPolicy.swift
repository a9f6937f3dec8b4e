import Core

/// Exponential backoff with full jitter for retryable sink errors.
public struct RetryPolicy: Sendable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// `nil`: retry until the task is cancelled (a database that is down is waited for).
    public var maximumAttempts: Int?

    public init(
        initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(30), maximumAttempts: Int? = nil
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The delay before attempt `attempt` (1-based retry count), jittered in [delay/2, delay].
    func delay(attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) where delay < maximumDelay { delay *= 2 }
        if delay > maximumDelay { delay = maximumDelay }
        let nanos = max(delay.totalNanoseconds, 2)
        return .nanoseconds(nanos / 2 + Int64.random(in: 0...(nanos / 2)))
    }
}
