public import Core
import ExporterPull
public import XrayPush

/// One configured source as the daemon runs it: the pipeline that owns it and
/// how data arrives (pushed over HTTP, or pulled on an interval).
public struct DaemonSource: Sendable {
    /// How data of the source reaches its pipeline.
    public enum Feed: Sendable {
        /// `xray_push`: fed by `POST /v1/ingest/snapshots`.
        case push(XrayPushSource)
        /// Pulled every `interval` (+ jitter), reading until the reader is drained.
        case pull(any ObservationSource, interval: Duration)
    }

    public var id: String
    public var pipeline: String
    public var type: String
    public var feed: Feed

    /// Sorts a configured source into push or pull; exporter_pull sources are
    /// pulled one-shot (catch up, then return) on their own `interval`.
    /// `type` is the YAML `type:` (the Swift type's name when unknown).
    public init(source: any ObservationSource, type: String?, pipeline: String, defaultInterval: Duration) {
        self.id = source.id
        self.pipeline = pipeline
        if let push = source as? XrayPushSource {
            self.type = "xray_push"
            self.feed = .push(push)
        } else if let pull = source as? ExporterPullSource {
            self.type = "exporter_pull"
            self.feed = .pull(pull.oneShot(), interval: pull.settings.interval)
        } else {
            self.type = type ?? String(describing: Swift.type(of: source))
            self.feed = .pull(source, interval: defaultInterval)
        }
    }

    /// Observations per upstream sample: an xray sample (one account on one
    /// pushed or pulled snapshot) yields uplink and downlink; for any other
    /// source a sample is one observation.
    public var observationsPerSample: Int {
        type == "xray_push" || type == "exporter_pull" ? 2 : 1
    }

    /// The time a committed cursor stands at, when the source's cursor has one.
    public func time(of cursor: SourceCursor?) -> Timestamp? {
        guard let cursor else { return nil }
        switch type {
        case "xray_push": return (try? cursor.decode(as: XrayPushCursor.self))?.latest
        case "exporter_pull": return (try? cursor.decode(as: ExporterPullCursor.self))?.until
        default: return nil
        }
    }
}
