public import Core
import WireFormats

/// An `xray_push` source: xray-exporters POST their snapshots to the daemon
/// (`POST /v1/ingest/snapshots`, UPSTREAMS §2) instead of being pulled.
///
/// It has nothing to read on its own (its reader ends at once, so `run` and
/// `collect` pass over it); the daemon turns each accepted body into one batch
/// with `batch(fromBody:after:)` and sends it through the pipeline that lists
/// this source, so pushed data meets the same metering and sinks as pulled data.
public struct XrayPushSource: ObservationSource {
    public let id: String
    public let metering: MeteringOptions
    public let settings: XrayPushSettings
    /// What `metering.window` is checked against (the plugin context's clock);
    /// `nil`: no window check (a source built in code without a clock).
    public let clock: (any WallClock)?

    public init(
        id: String, metering: MeteringOptions = MeteringOptions(), settings: XrayPushSettings = .init(),
        clock: (any WallClock)? = nil
    ) {
        self.id = id
        self.metering = metering
        self.settings = settings
        self.clock = clock
    }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        XrayPushReader()
    }

    /// Decodes a whole pushed body into one batch, or refuses all of it.
    ///
    /// A snapshot whose `collected_at` is outside the source's clock window
    /// (`max_future_skew`, `max_age`) refuses the body (422 naming the snapshot),
    /// so a wrong clock never moves the cursor or a series' baseline.
    ///
    /// Snapshots are ordered by `collected_at` (stable), so a body listing them
    /// out of order meters like one in order. The cursor is the latest
    /// `collected_at` seen so far (never moves back). `nil`: the body holds no
    /// snapshot (an empty array), nothing to apply.
    public func batch(fromBody bytes: UnsafeRawBufferPointer, after cursor: SourceCursor?) throws(XrayPushRejection)
        -> ObservationBatch?
    {
        guard Int64(bytes.count) <= settings.maxBodyBytes else {
            throw XrayPushRejection(
                .tooLarge, "the body is \(bytes.count) bytes; this source accepts at most \(settings.maxBodyBytes)")
        }
        let snapshots: [XraySnapshot]
        do {
            snapshots = try XraySnapshotBodyDecoder.decode(bytes)
        } catch {
            throw XrayPushRejection(
                .invalid, error.message, line: error.line, column: error.column, snapshot: error.snapshot,
                field: error.field)
        }
        let now = metering.window.isBounded ? clock?.now() : nil
        for (index, snapshot) in snapshots.enumerated() {
            if let now, let violation = metering.window.violation(of: snapshot.collectedAt, now: now) {
                throw XrayPushRejection(
                    .invalid, "collected_at \(violation)", snapshot: index, field: "collected_at")
            }
            if let env = settings.expectedEnv, snapshot.env != env {
                throw XrayPushRejection(
                    .invalid, "env \"\(snapshot.env)\" is not the expected \"\(env)\"", snapshot: index, field: "env")
            }
            if !settings.allowedNodeIDs.isEmpty, !settings.allowedNodeIDs.contains(snapshot.nodeID) {
                throw XrayPushRejection(
                    .invalid, "node_id \"\(snapshot.nodeID)\" may not push to source \(id)", snapshot: index,
                    field: "node_id")
            }
        }
        guard !snapshots.isEmpty else { return nil }
        let ordered = snapshots.enumerated().sorted {
            ($0.element.collectedAt, $0.offset) < ($1.element.collectedAt, $1.offset)
        }
        var observations: [Observation] = []
        observations.reserveCapacity(snapshots.reduce(0) { $0 + $1.samples.count * 2 })
        for (_, snapshot) in ordered {
            XraySnapshotDecoder.appendObservations(of: snapshot, source: id, to: &observations)
        }
        var latest = ordered[ordered.count - 1].element.collectedAt
        // A cursor committed beyond the window (before the window was checked) is
        // not kept: it would hold the cursor and the lag at that time for ever.
        if let previous = try? cursor?.decode(as: XrayPushCursor.self), previous.latest > latest,
            now.flatMap({ metering.window.violation(of: previous.latest, now: $0) }) == nil
        {
            latest = previous.latest
        }
        let position = XrayPushCursor(latest: latest)
        let encoded: SourceCursor
        do {
            encoded = try SourceCursor(encoding: position)
        } catch {
            throw XrayPushRejection(.invalid, "cannot encode the cursor: \(error)")
        }
        return ObservationBatch(
            observations: observations, cursor: encoded,
            position: "push of \(snapshots.count) snapshots, latest \(ordered[ordered.count - 1].element.collectedAt)",
            // Each account on a snapshot is one sample: uplink and downlink.
            samples: observations.count / 2)
    }

    /// `batch(fromBody:after:)` over an array of bytes.
    public func batch(fromBody bytes: [UInt8], after cursor: SourceCursor?) throws(XrayPushRejection)
        -> ObservationBatch?
    {
        let result: Result<ObservationBatch?, XrayPushRejection> = bytes.withUnsafeBytes { raw in
            do throws(XrayPushRejection) {
                return .success(try batch(fromBody: raw, after: cursor))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// A push source has nothing to pull: its reader is drained from the start.
struct XrayPushReader: ObservationReader {
    mutating func next() async throws -> ObservationBatch? { nil }
}
