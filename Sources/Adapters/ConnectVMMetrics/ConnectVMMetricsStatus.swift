public import Core

/// What `/v1/status` shows of a `connect_vm_metrics` source: the VMs silent
/// for longer than `stale_after` without a stop, the VMs billed but never
/// started nor listed by a heartbeat, the gaps metald announced, and the
/// client memory integrals that did not match ours.
extension ConnectVMMetricsSource: SourceStatusReporting {
    public func statusDetails(now: Timestamp) async -> [StatusDetail] {
        let stale = await activity.stale(now: now, after: settings.staleAfter)
        await recordStale(now: now)
        let vms = await activity.vms
        let running = vms.values.filter { $0.stoppedAt == nil }.count
        let unstarted = vms.values.filter(\.billedWithoutStart).map(\.vmID).sorted()
        return [
            StatusDetail("known_vms", .integer(Int64(vms.count))),
            StatusDetail("running_vms", .integer(Int64(running))),
            StatusDetail("stale_after_seconds", .integer(settings.staleAfter.components.seconds)),
            StatusDetail("stale_vms", .strings(stale.map(\.vmID))),
            StatusDetail("billed_without_start", .strings(unstarted)),
            StatusDetail("possible_gaps", .integer(Int64(await activity.gaps.count))),
            StatusDetail("memory_integral_mismatches", .integer(Int64(await activity.memoryIntegralMismatches))),
        ]
    }
}
