public import Core
public import Host
import Synchronization

/// Every source the daemon runs, the engine of each pipeline, and the last job:
/// what the HTTP handlers and the scheduler look things up in.
public final class SourceRoster: Sendable {
    public let sources: [DaemonSource]
    public let engines: [PipelineEngine]
    public let clock: any WallClock
    private let lastJobBox = Mutex<JobResult?>(nil)
    /// Late observations per source since start (`JobResult.SourceStatus.lateObservations`).
    private let lateBox = Mutex<[String: Int]>([:])

    init(sources: [DaemonSource], engines: [PipelineEngine], clock: any WallClock) {
        self.sources = sources
        self.engines = engines
        self.clock = clock
    }

    public func source(_ id: String) -> DaemonSource? { sources.first { $0.id == id } }

    public func engine(of source: DaemonSource) -> PipelineEngine? {
        engines.first { $0.id == source.pipeline }
    }

    /// The committed state of a source (nothing yet: a fresh state).
    public func state(of source: DaemonSource) -> SourceState {
        engine(of: source)?.sourceStates[source.id] ?? SourceState()
    }

    /// The source's standing in job-result form (UPSTREAMS §2).
    public func status(of source: DaemonSource) -> JobResult.SourceStatus {
        let state = state(of: source)
        return JobResult.SourceStatus(
            sourceID: source.id, lastCompletedUntil: source.time(of: state.cursor),
            lastAttemptedAt: state.lastAttemptedAt, lastSucceededAt: state.lastSucceededAt,
            lastError: state.lastError, lateObservations: lateObservations(of: source.id))
    }

    /// Observations of `source` older than their series' baseline since the daemon started.
    public func lateObservations(of source: String) -> Int {
        lateBox.withLock { $0[source] ?? 0 }
    }

    /// Adds a committed batch's late observations to its source's count.
    func countLate(_ count: Int, of source: String) {
        guard count > 0 else { return }
        lateBox.withLock { $0[source, default: 0] += count }
    }

    /// Seconds from the cursor's time to now, when the cursor has a time.
    public func lagSeconds(of source: DaemonSource) -> Int64? {
        guard let time = source.time(of: state(of: source).cursor) else { return nil }
        return (clock.now().nanosecondsSinceEpoch - time.nanosecondsSinceEpoch) / Timestamp.nanosecondsPerSecond
    }

    public var lastJob: JobResult? { lastJobBox.withLock { $0 } }

    func record(_ job: JobResult) {
        lastJobBox.withLock { $0 = job }
    }
}
