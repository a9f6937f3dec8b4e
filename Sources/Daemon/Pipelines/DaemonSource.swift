public import Core

/// One configured source as the daemon runs it: the pipeline that owns it and
/// how data arrives, learned by asking the source what it can do.
public struct DaemonSource: Sendable {
    /// How data of the source reaches its pipeline.
    public enum Feed: Sendable {
        /// A `PushSource`: fed by requests to the routes it declares.
        case push(any PushSource)
        /// Pulled every `interval` (+ jitter), reading until the reader is drained.
        case pull(any ObservationSource, interval: Duration)
    }

    public var id: String
    public var pipeline: String
    /// The YAML `type:`, for status (the Swift type's name when unknown). Never compared.
    public var type: String
    public var source: any ObservationSource
    public var feed: Feed

    /// Sorts a configured source into push or pull: a `ScheduledSource` is
    /// collected one-shot (catch up, then return) on its own interval, any
    /// other pull source on `defaultInterval`.
    public init(source: any ObservationSource, type: String?, pipeline: String, defaultInterval: Duration) {
        self.id = source.id
        self.pipeline = pipeline
        self.type = type ?? String(describing: Swift.type(of: source))
        self.source = source
        if let push = source as? any PushSource {
            self.feed = .push(push)
        } else if let scheduled = source as? any ScheduledSource {
            self.feed = .pull(scheduled.oneCollection(), interval: scheduled.interval)
        } else {
            self.feed = .pull(source, interval: defaultInterval)
        }
    }

    /// The push source, when the source is fed by requests.
    public var push: (any PushSource)? {
        if case .push(let push) = feed { return push }
        return nil
    }

    /// The time a committed cursor stands at, when the source's cursor has one.
    public func time(of cursor: SourceCursor?) -> Timestamp? {
        guard let cursor, let timed = source as? any TimedCursorSource else { return nil }
        return timed.time(of: cursor)
    }
}
