/// The span around the wall clock a source takes observations in: at most
/// `max_future_skew` ahead of now and at most `max_age` behind it.
///
/// Exists because one timestamp far from now (an exporter with a wrong clock, a
/// mistyped year) would otherwise move the source's cursor and its series'
/// baselines there, after which the real usage that follows is older than the
/// baseline and is never billed. A source refuses an observation outside its
/// window before metering sees it (a push with 422, a file per its `on_error`,
/// a pull with a failure), so such a timestamp never moves a cursor.
public struct ObservationWindow: Hashable, Sendable {
    /// How far ahead of the clock a timestamp may be; `nil`: no limit.
    public var maxFutureSkew: Duration?
    /// How far behind the clock a timestamp may be; `nil`: no limit.
    public var maxAge: Duration?

    public init(maxFutureSkew: Duration?, maxAge: Duration?) {
        self.maxFutureSkew = maxFutureSkew
        self.maxAge = maxAge
    }

    /// No limit on either side (what a source built in code gets unless told).
    public static let unbounded = ObservationWindow(maxFutureSkew: nil, maxAge: nil)

    /// The config keys, accepted by every source.
    public static let configKeys = ["max_future_skew", "max_age"]

    /// Whether the window limits anything (a check needs a clock only then).
    public var isBounded: Bool { maxFutureSkew != nil || maxAge != nil }

    /// Why `time` is outside the window at `now`, or `nil` when it is inside.
    ///
    /// The bounds saturate instead of overflowing, so a timestamp at either end
    /// of the representable range is compared exactly like any other.
    public func violation(of time: Timestamp, now: Timestamp) -> WindowViolation? {
        let t = time.nanosecondsSinceEpoch
        let clock = now.nanosecondsSinceEpoch
        if let skew = maxFutureSkew {
            let (latest, overflow) = clock.addingReportingOverflow(skew.totalNanoseconds)
            if !overflow, t > latest {
                return WindowViolation(time: time, now: now, side: .future, limit: skew)
            }
        }
        if let age = maxAge {
            let (earliest, overflow) = clock.subtractingReportingOverflow(age.totalNanoseconds)
            if !overflow, t < earliest {
                return WindowViolation(time: time, now: now, side: .past, limit: age)
            }
        }
        return nil
    }

    /// The first of `observations[start...]` outside the window at `now`, with its index.
    public func firstViolation(in observations: [Observation], from start: Int = 0, now: Timestamp) -> (
        index: Int, violation: WindowViolation
    )? {
        guard isBounded else { return nil }
        for index in start..<observations.count {
            if let violation = violation(of: observations[index].time, now: now) { return (index, violation) }
        }
        return nil
    }

    /// Reads `max_future_skew` and `max_age` from a source's config (a duration, or
    /// `none` for no limit); a key that is absent keeps its value in `defaults`.
    /// Problems are recorded in `map`'s diagnostics.
    public static func read(from map: ConfigMap, defaults: ObservationWindow) -> ObservationWindow {
        var window = defaults
        if let value = limit("max_future_skew", in: map) { window.maxFutureSkew = value }
        if let value = limit("max_age", in: map) { window.maxAge = value }
        return window
    }

    /// `.some(nil)` for `none`, `.some(duration)`, or `nil` when absent or invalid.
    private static func limit(_ key: String, in map: ConfigMap) -> Duration?? {
        guard let node = map.node(key) else { return nil }
        guard let text = node.scalar else {
            map.problem(key, "expected a duration such as 5m or 72h, or none, found \(node.kindName)")
            return nil
        }
        if text == "none" { return .some(nil) }
        guard let duration = ConfigValueParser.duration(text), duration > .zero else {
            map.problem(key, "expected a positive duration such as 5m or 72h, or none (no limit), found \"\(text)\"")
            return nil
        }
        return .some(duration)
    }
}

/// An observation's timestamp outside its source's `ObservationWindow`: says
/// which side, by how much, and which option to change.
public struct WindowViolation: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Side: Sendable, Hashable {
        /// Later than `now + max_future_skew`.
        case future
        /// Earlier than `now − max_age`.
        case past
    }

    public var time: Timestamp
    public var now: Timestamp
    public var side: Side
    public var limit: Duration

    public init(time: Timestamp, now: Timestamp, side: Side, limit: Duration) {
        self.time = time
        self.now = now
        self.side = side
        self.limit = limit
    }

    /// The option that refused the timestamp.
    public var option: String { side == .future ? "max_future_skew" : "max_age" }

    public var description: String {
        let distance = Self.text(seconds: Self.seconds(between: time, and: now))
        let relation = side == .future ? "ahead of" : "behind"
        return "\(time) is \(distance) \(relation) the clock (\(now)); the source's \(option) is "
            + Self.text(seconds: limit.components.seconds)
    }

    /// Whole seconds from `a` to `b` (absolute), without overflowing at the range's ends.
    static func seconds(between a: Timestamp, and b: Timestamp) -> Int64 {
        let difference = Int128(a.nanosecondsSinceEpoch) - Int128(b.nanosecondsSinceEpoch)
        let magnitude = difference < 0 ? -difference : difference
        return Int64(magnitude / Int128(Timestamp.nanosecondsPerSecond))
    }

    /// `72h`, `5m`, `90s`, `3d`: the largest unit that divides the value, as a config would write it.
    static func text(seconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds >= size && seconds % size == 0
        {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
