import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// The daemon's one handler of SIGTERM/SIGINT. The first signal starts the
/// service group's graceful shutdown; a second one ends the process at once
/// with exit code 130, for an operator who will not wait for the drain.
///
/// Exists because the drain must be honest about how it ended: after the
/// group returns, `cutOff` tells whether the grace period ran out (the group
/// then cancelled what was still in flight), so `serve` can exit non-zero
/// instead of reporting a clean stop. One handler for both signals, so the
/// second signal cannot be missed by a competing listener.
public final class ShutdownSignals: Sendable {
    private let grace: Duration
    private let logger: Logger
    private let firstSignal = Mutex<ContinuousClock.Instant?>(nil)

    public init(grace: Duration, logger: Logger) {
        self.grace = grace
        self.logger = logger
    }

    /// Watches the signals until cancelled.
    public func watch(_ group: ServiceGroup) async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await signal in signals {
            let first = firstSignal.withLock { instant -> Bool in
                guard instant == nil else { return false }
                instant = .now
                return true
            }
            if first {
                logger.info(
                    "signal received: draining", metadata: ["signal": "\(signal)", "grace": "\(grace)"])
                await group.triggerGracefulShutdown()
            } else {
                logger.critical("second signal during shutdown: exiting now", metadata: ["signal": "\(signal)"])
                exit(130)
            }
        }
    }

    /// After the group returned: how long the drain took, when it took at least
    /// the grace period (the group then cancelled the rest); nil otherwise.
    public func cutOff() -> Duration? {
        guard let start = firstSignal.withLock({ $0 }) else { return nil }
        let took = ContinuousClock.now - start
        return took >= grace ? took : nil
    }
}
