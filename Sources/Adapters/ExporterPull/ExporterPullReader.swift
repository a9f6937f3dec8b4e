import AsyncHTTPClient
import Core
import Logging
import WireFormats

/// Pulls catch-up windows one batch at a time: each batch holds the snapshots of
/// one window step and carries its end as the cursor, so a restart resumes
/// exactly there (minus the overlap) and never skips a minute.
struct ExporterPullReader: ObservationReader {
    let source: ExporterPullSource
    let token: String?
    let component: String
    /// The end of the last window delivered (`nil`: nothing yet, first run).
    private var committed: ExporterPullCursor?
    /// The end the current collection catches up to (now − settle_delay at its start).
    private var target: Timestamp?
    /// The start of the current collection's next step.
    private var position: Timestamp?
    /// A retryable failure was just reported: wait an interval before the retry.
    private var retryPending = false

    init(source: ExporterPullSource, token: String?, cursor: ExporterPullCursor?) {
        self.source = source
        self.token = token
        self.component = "sources." + source.id
        self.committed = cursor
    }

    private var settings: ExporterPullSettings { source.settings }
    private var logger: Logger { source.context.logger }

    mutating func next() async throws -> ObservationBatch? {
        while true {
            if target == nil {
                let now = source.context.clock.now()
                let end = now.adding(.zero - settings.settleDelay)
                let start = WindowPlan.start(cursor: committed, target: end, settings: settings)
                if let committed, committed.until < start {
                    logger.warning(
                        "the committed cursor is older than the exporter keeps (72 h): the span between is lost",
                        metadata: [
                            "source": "\(source.id)", "cursor": "\(committed.until)", "resuming_at": "\(start)",
                        ])
                }
                target = end
                position = start
            }
            guard let end = target, let start = position else { continue }
            let first = committed == nil
            if let step = WindowPlan.next(committed: start, target: end, first: first, settings: settings) {
                if retryPending {
                    retryPending = false
                    try await Task.sleep(for: settings.interval)
                }
                let observations: [Observation]
                switch try await collect(step) {
                case .collected(let collected):
                    observations = collected
                case .retrying(let error):
                    retryPending = true
                    return .retrying(after: error.description, position: "\(source.settings.baseURL) \(step.since)")
                }
                let cursor = ExporterPullCursor(until: step.until)
                committed = cursor
                position = step.until
                return ObservationBatch(
                    observations: observations, cursor: try SourceCursor(encoding: cursor),
                    position: "\(source.settings.baseURL) until \(step.until)",
                    // Each account on a snapshot is one sample: uplink and downlink.
                    samples: observations.count / 2)
            }
            switch source.mode {
            case .oneShot:
                return nil
            case .continuous:
                target = nil
                let base = settings.interval.totalNanoseconds
                let jitter = Int64.random(in: 0...max(base / 10, 0))
                try await Task.sleep(for: .nanoseconds(base + jitter))
            }
        }
    }

    enum Outcome {
        case collected([Observation])
        /// Continuous mode: a retryable failure, reported to the host; the step is
        /// retried after the interval (or the breaker's cool-down).
        case retrying(PluginError)
    }

    /// One window step through the circuit breaker. A permanent failure (and any
    /// failure in one-shot mode) ends the reader.
    private func collect(_ step: WindowStep) async throws -> Outcome {
        while true {
            let now = source.context.clock.now()
            if let until = source.breaker.openUntil(now: now) {
                let error = PluginError(
                    .retryable, component: component,
                    "circuit open after \(source.breaker.consecutiveFailures) consecutive failures; next attempt after \(until)"
                )
                guard source.mode == .continuous else { throw error }
                try await Task.sleep(
                    for: .nanoseconds(max(until.nanosecondsSinceEpoch - now.nanosecondsSinceEpoch, 1_000_000)))
                continue
            }
            do {
                let snapshots = try await fetch(step)
                try checkWindow(snapshots)
                source.breaker.recordSuccess()
                var observations: [Observation] = []
                for snapshot in snapshots {
                    XraySnapshotDecoder.appendObservations(of: snapshot, source: source.id, to: &observations)
                }
                return .collected(observations)
            } catch let error as PluginError {
                let opened = source.breaker.recordFailure(now: source.context.clock.now())
                if opened {
                    logger.error(
                        "circuit breaker opened", metadata: ["source": "\(source.id)", "error": "\(error.message)"])
                }
                guard source.mode == .continuous, error.isRetryable else { throw error }
                logger.error(
                    "collection failed, retrying next interval",
                    metadata: ["source": "\(source.id)", "error": "\(error.message)"])
                return .retrying(error)
            }
        }
    }

    /// A snapshot outside the source's clock window fails the whole step (retried
    /// next interval, the cursor unmoved, the status naming the snapshot), so an
    /// exporter with a wrong clock never moves the cursor or a baseline.
    private func checkWindow(_ snapshots: [XraySnapshot]) throws {
        let window = source.metering.window
        guard window.isBounded else { return }
        let now = source.context.clock.now()
        for snapshot in snapshots {
            if let violation = window.violation(of: snapshot.collectedAt, now: now) {
                throw PluginError(
                    .retryable, component: component,
                    "snapshot of node \(snapshot.nodeID): collected_at \(violation)")
            }
        }
    }

    private func fetch(_ step: WindowStep) async throws -> [XraySnapshot] {
        let client = try WindowFetcher.makeClient(settings: settings, component: component)
        let fetcher = WindowFetcher(
            component: component, settings: settings, client: client, token: token, logger: logger)
        do {
            let snapshots = try await fetcher.fetchWindow(step)
            try? await client.shutdown()
            return snapshots
        } catch {
            try? await client.shutdown()
            if let error = error as? PluginError { throw error }
            throw WindowFetcher.classify(error, what: fetcher.describe(step), component: component)
        }
    }
}
