import Core
import Metrics

/// `billing.v1.BillingService`, metald's contract (UPSTREAMS §4).
extension ConnectVMMetricsSource {
    /// One VM's readings, accepted whole or refused whole (the first bad
    /// reading's index and field). An empty batch is `success: false, "no
    /// metrics provided"`, as metald expects.
    func sendMetricsBatch(_ request: Billing_V1_SendMetricsBatchRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_SendMetricsBatchResponse
    {
        var answer = Billing_V1_SendMetricsBatchResponse()
        guard !request.metrics.isEmpty || !request.billingMetrics.isEmpty else {
            answer.success = false
            answer.message = "no metrics provided"
            return answer
        }
        let now = self.now(context)
        // metald fills vm_id, customer_id and metrics; a collector batch sent
        // here fills billing_metrics only, and its ids are per reading.
        var observations = request.metrics.isEmpty ? [] : try translator.observations(of: request, now: now)
        var reports: [VMReport] = []
        if let latest = observations.map(\.time).max() {
            reports.append(
                VMReport(vmID: request.vmID, customerID: request.customerID, region: settings.region, latest: latest))
        }
        if !request.billingMetrics.isEmpty {
            observations += try translator.observations(of: request.billingMetrics, field: "billing_metrics", now: now)
            reports += Self.reports(of: request.billingMetrics)
        }
        let readings = request.metrics.count + request.billingMetrics.count
        let applied = try await apply(observations, readings: readings, reports: reports, context: context)
        await checkMemoryIntegrals(request.billingMetrics)
        answer.success = true
        answer.message = "accepted \(applied.readings) metrics"
        answer.accepted = UInt64(applied.readings)
        return answer
    }

    func sendHeartbeat(_ request: Billing_V1_SendHeartbeatRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_SendHeartbeatResponse
    {
        try VMObservations.checkLabel(request.instanceID, field: "instance_id", kind: .dimensionValue)
        for (index, vm) in request.activeVms.enumerated() {
            try VMObservations.checkLabel(vm, field: "active_vms[\(index)]", kind: .dimensionValue)
        }
        await activity.heartbeat(instance: request.instanceID, activeVMs: request.activeVms)
        await recordStale(now: self.now(context))
        var answer = Billing_V1_SendHeartbeatResponse()
        answer.success = true
        return answer
    }

    /// Records the VM's exact start instant (the activity span invoicing prorates from).
    func notifyVMStarted(_ request: Billing_V1_NotifyVmStartedRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_NotifyVmStartedResponse
    {
        try VMObservations.checkLabel(request.vmID, field: "vm_id", kind: .dimensionValue)
        try VMObservations.checkLabel(request.customerID, field: "customer_id", kind: .subject)
        let start = try VMObservations.timestamp(unixNanoseconds: request.startTime, field: "start_time")
        if let violation = metering.window.violation(of: start, now: self.now(context)) {
            throw ConnectError(.invalidArgument, "start_time: \(violation)")
        }
        // The span is durable before the answer (invoicing prorates fees from it).
        do {
            try await context.activity?.started(
                subject: request.customerID, dimension: Dimension("vm_id", request.vmID), at: start)
        } catch {
            throw ConnectError(.unavailable, "the start of \(request.vmID) was not recorded: \(error)")
        }
        await activity.started(vmID: request.vmID, customerID: request.customerID, at: start)
        var answer = Billing_V1_NotifyVmStartedResponse()
        answer.success = true
        return answer
    }

    /// Records the VM's exact stop instant; a stopped VM is never stale.
    func notifyVMStopped(_ request: Billing_V1_NotifyVmStoppedRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_NotifyVmStoppedResponse
    {
        try VMObservations.checkLabel(request.vmID, field: "vm_id", kind: .dimensionValue)
        let stop = try VMObservations.timestamp(unixNanoseconds: request.stopTime, field: "stop_time")
        if let violation = metering.window.violation(of: stop, now: self.now(context)) {
            throw ConnectError(.invalidArgument, "stop_time: \(violation)")
        }
        if let started = await activity.vms[request.vmID]?.startedAt, stop < started {
            throw ConnectError(.invalidArgument, "stop_time: \(stop) is before the VM's start_time \(started)")
        }
        do {
            _ = try await context.activity?.stopped(dimension: Dimension("vm_id", request.vmID), at: stop)
        } catch {
            throw ConnectError(.unavailable, "the stop of \(request.vmID) was not recorded: \(error)")
        }
        await activity.stopped(vmID: request.vmID, at: stop)
        await recordStale(now: self.now(context))
        var answer = Billing_V1_NotifyVmStoppedResponse()
        answer.success = true
        return answer
    }

    /// Records the gap metald announced. The readings on either side meter
    /// the interval by the source's gap policy (`attribute: end|spread`).
    func notifyPossibleGap(_ request: Billing_V1_NotifyPossibleGapRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_NotifyPossibleGapResponse
    {
        try VMObservations.checkLabel(request.vmID, field: "vm_id", kind: .dimensionValue)
        let lastSent = try VMObservations.timestamp(unixNanoseconds: request.lastSent, field: "last_sent")
        let resume = try VMObservations.timestamp(unixNanoseconds: request.resumeTime, field: "resume_time")
        guard lastSent < resume else {
            throw ConnectError(.invalidArgument, "resume_time: \(resume) is not after last_sent \(lastSent)")
        }
        let now = self.now(context)
        await activity.gap(VMActivity.Gap(vmID: request.vmID, lastSent: lastSent, resumeTime: resume, receivedAt: now))
        if let metrics {
            Counter(label: "billing_connect_vm_gaps_total", dimensions: [("source", id)], factory: metrics).increment()
        }
        var answer = Billing_V1_NotifyPossibleGapResponse()
        answer.success = true
        return answer
    }
}
