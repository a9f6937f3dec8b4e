public import Core
import Synchronization

/// A clock that always tells the same instant: plugins and metering read the
/// time through `WallClock`, so a fixed one makes their output repeatable.
public struct FixedClock: WallClock {
    public let time: Timestamp

    public init(_ time: Timestamp) { self.time = time }

    /// `rfc3339` such as `2026-11-01T12:00:00Z`; a malformed text is a bug in the test.
    public init(_ rfc3339: String) {
        guard let time = Timestamp(rfc3339: rfc3339) else { preconditionFailure("not RFC 3339: \(rfc3339)") }
        self.time = time
    }

    public func now() -> Timestamp { time }
}

/// A clock a test sets or moves by hand while a plugin holds it (safe to read
/// from any task while the test changes it).
public final class SettableClock: WallClock {
    private let time: Mutex<Timestamp>

    public init(_ start: Timestamp) { time = Mutex(start) }

    /// `rfc3339` such as `2026-11-01T12:00:00Z`; a malformed text is a bug in the test.
    public convenience init(_ rfc3339: String) { self.init(FixedClock(rfc3339).time) }

    public func now() -> Timestamp { time.withLock { $0 } }

    public func set(_ value: Timestamp) { time.withLock { $0 = value } }

    public func set(_ rfc3339: String) { set(FixedClock(rfc3339).time) }

    public func advance(nanoseconds: Int64) { time.withLock { $0 = $0.adding(nanoseconds: nanoseconds) } }
}
