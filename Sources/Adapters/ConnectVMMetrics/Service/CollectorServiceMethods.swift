import Core
import Metrics
import SwiftProtobuf

/// `billing.v1.BillingCollectorService`, the VM platform's collector (UPSTREAMS §6).
extension ConnectVMMetricsSource {
    func sendMetrics(_ request: Billing_V1_SendMetricsRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_SendMetricsResponse
    {
        guard request.hasMetrics else { throw ConnectError(.invalidArgument, "metrics: missing") }
        let applied = try await applyCollector([request.metrics], field: "metrics", context: context)
        var answer = Billing_V1_SendMetricsResponse()
        answer.success = true
        answer.message = "accepted \(applied.readings) metrics"
        return answer
    }

    func sendCollectorBatch(_ request: Billing_V1_SendMetricsBatchRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_SendMetricsBatchResponse
    {
        var answer = Billing_V1_SendMetricsBatchResponse()
        guard !request.billingMetrics.isEmpty else {
            answer.success = false
            answer.message = "no metrics provided"
            return answer
        }
        let applied = try await applyCollector(request.billingMetrics, field: "billing_metrics", context: context)
        answer.success = true
        answer.message = "accepted \(applied.readings) metrics"
        answer.accepted = UInt64(applied.readings)
        return answer
    }

    func applyCollector(_ metrics: [Billing_V1_BillingMetrics], field: String, context: any PushContext)
        async throws(ConnectError) -> Applied
    {
        let observations = try translator.observations(of: metrics, field: field, now: now(context))
        let applied = try await apply(
            observations, readings: metrics.count, reports: Self.reports(of: metrics), context: context)
        await checkMemoryIntegrals(metrics)
        return applied
    }

    static func reports(of metrics: [Billing_V1_BillingMetrics]) -> [VMReport] {
        var latest: [String: VMReport] = [:]
        for metric in metrics {
            let stamp = metric.hasTimestamp ? metric.timestamp : metric.windowEnd
            guard let time = VMObservations.timestamp(stamp) else { continue }
            let region = metric.region.isEmpty ? nil : metric.region
            if let seen = latest[metric.vmID], seen.latest >= time { continue }
            latest[metric.vmID] = VMReport(
                vmID: metric.vmID, customerID: metric.customerID, region: region, latest: time)
        }
        return latest.values.sorted { $0.vmID < $1.vmID }
    }

    /// Compares each committed `memory_bytes_seconds` with the integral of the
    /// levels reported before; a difference is counted
    /// (`billing_connect_vm_memory_integral_mismatches_total`, `…_byte_seconds_total`),
    /// never billed: the bill is the gauge's integral.
    func checkMemoryIntegrals(_ metrics: [Billing_V1_BillingMetrics]) async {
        let ordered = metrics.compactMap { metric -> (Timestamp, Billing_V1_BillingMetrics)? in
            let stamp = metric.hasTimestamp ? metric.timestamp : metric.windowEnd
            return VMObservations.timestamp(stamp).map { ($0, metric) }
        }.sorted { $0.0 < $1.0 }
        for (time, metric) in ordered {
            let series = "\(metric.customerID)\u{0}\(metric.region)\u{0}\(metric.vmID)"
            let client = metric.memoryBytesSeconds > 0 ? metric.memoryBytesSeconds : nil
            let difference = await activity.checkMemoryIntegral(
                series: series, time: time, bytes: metric.memoryBytesUsed, clientIntegral: client)
            if let difference, let factory = self.metrics {
                Counter(
                    label: "billing_connect_vm_memory_integral_mismatches_total", dimensions: [("source", id)],
                    factory: factory
                ).increment()
                Counter(
                    label: "billing_connect_vm_memory_integral_difference_byte_seconds_total",
                    dimensions: [("source", id)], factory: factory
                ).increment(by: Int64(clamping: difference))
            }
        }
    }
}
