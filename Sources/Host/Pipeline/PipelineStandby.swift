public import Core
import Logging

/// Whether this process writes a pipeline now, as `/readyz` and `/v1/status` show it.
public enum PipelineRole: Sendable, Equatable {
    /// Trying to take the pipeline's lock (at start, after losing it, or while its database is unreachable).
    case claiming
    /// This process holds the lock (or the pipeline has no ledger database to share) and writes it.
    case holder
    /// Another process holds the lock; this one answers the pipeline's pushes 503 and takes over when it can.
    case standby(PipelineHolder)

    /// `claiming`, `holder` or `standby` (docs/openapi.yaml).
    public var name: String {
        switch self {
        case .claiming: return "claiming"
        case .holder: return "holder"
        case .standby: return "standby"
        }
    }
}

/// Waits until this process holds a pipeline's lock, claiming it about every second.
///
/// Exists so a second `serve` on the same database stands by for the pipelines
/// another process writes (logging who holds them, once per holder) and takes
/// over within about a second of the holder stopping or dying.
struct PipelineStandby: Sendable {
    let lock: PipelineLock
    let logger: Logger
    var interval: Duration = .seconds(1)

    /// Claims until the lock is taken (true) or the task is cancelled (false);
    /// `report` learns each role on the way, `failed` each claim that failed
    /// (the database is unreachable or refuses the daemon).
    func acquire(
        report: @Sendable (PipelineRole) -> Void, failed: @Sendable (any Error) -> Void = { _ in }
    ) async -> Bool {
        var shown: PipelineHolder?
        var failing = false
        while !Task.isCancelled {
            do {
                switch try await lock.claim() {
                case .taken:
                    if shown != nil || failing { logger.notice("took over the pipeline: its lock is free now") }
                    report(.holder)
                    return true
                case .heldElsewhere(let holder):
                    if holder != shown {
                        logger.warning(
                            "pipeline held by another process; standing by (pushes answered 503) until it lets go",
                            metadata: ["holder": "\(holder)"])
                        shown = holder
                    }
                    failing = false
                    report(.standby(holder))
                }
            } catch {
                if !failing {
                    logger.warning("could not claim the pipeline's lock; trying again", metadata: ["error": "\(error)"])
                }
                failing = true
                failed(error)
                report(.claiming)
            }
            guard (try? await Task.sleep(for: interval)) != nil else { return false }
        }
        return false
    }
}
