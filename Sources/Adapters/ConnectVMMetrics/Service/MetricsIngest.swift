import Core
import Metrics

/// Applying a whole batch of readings: one observation batch through the
/// pipeline, answered only once durable; the activity and its metrics after.
extension ConnectVMMetricsSource {
    /// What one accepted call applied.
    struct Applied: Sendable {
        var readings: Int
        var commit: PushCommit
    }

    /// One VM's part of a call, for the activity record after the commit.
    struct VMReport: Sendable {
        var vmID: String
        var customerID: String
        var region: String?
        var latest: Timestamp
    }

    /// Submits `observations` (`readings` upstream samples) as one batch; the
    /// cursor is the latest reading instant so far.
    func apply(
        _ observations: [Observation], readings: Int, reports: [VMReport], context: any PushContext
    ) async throws(ConnectError) -> Applied {
        guard let newest = observations.map(\.time).max() else {
            throw ConnectError(.invalidArgument, "no metrics provided")
        }
        var latest = newest
        if let previous = context.cursor.flatMap({ try? $0.decode(as: ConnectVMCursor.self) }), previous.latest > latest
        {
            latest = previous.latest
        }
        let cursor: SourceCursor
        do {
            cursor = try SourceCursor(encoding: ConnectVMCursor(latest: latest))
        } catch {
            throw ConnectError(.internal, "cannot encode the cursor: \(error)")
        }
        let batch = ObservationBatch(
            observations: observations, cursor: cursor,
            position: "connect push of \(readings) readings, latest \(newest)", samples: readings)
        let commit: PushCommit
        do {
            commit = try await context.submit(batch)
        } catch {
            throw ConnectError(error)
        }
        let now = self.now(context)
        for report in reports {
            let unstarted = await activity.reported(
                vmID: report.vmID, customerID: report.customerID, region: report.region, latestSample: report.latest,
                at: now)
            if unstarted, let metrics {
                Counter(
                    label: "billing_connect_vm_billed_without_start_total", dimensions: [("source", id)],
                    factory: metrics
                ).increment()
            }
        }
        await recordStale(now: now)
        return Applied(readings: readings, commit: commit)
    }

    func now(_ context: any PushContext) -> Timestamp { (clock ?? context.clock).now() }

    /// Sets the stale-VM gauge (`billing_connect_vm_stale_vms{source}`).
    func recordStale(now: Timestamp) async {
        guard let metrics else { return }
        let stale = await activity.stale(now: now, after: settings.staleAfter)
        Gauge(label: "billing_connect_vm_stale_vms", dimensions: [("source", id)], factory: metrics)
            .record(stale.count)
    }
}
