import Core
import Foundation
import Metrics
import SwiftProtobuf
import Testing
import WireFormats

@testable import ConnectVMMetrics

@Suite("connect_vm_metrics: collector, lifecycle, query and live usage")
struct ServiceTests {
    typealias F = ConnectFixture

    static func billingMetrics(
        vm: String = "vm-1", region: String = "eu", at seconds: Int64, memory: UInt64 = 1000,
        integral: UInt64 = 0
    ) -> Billing_V1_BillingMetrics {
        var metric = Billing_V1_BillingMetrics()
        metric.vmID = vm
        metric.customerID = "cust-1"
        metric.region = region
        metric.timestamp = F.stamp(seconds)
        metric.cpuTimeNanos = 10
        metric.cpuUtilizationPct = 12.5
        metric.memoryBytesUsed = memory
        metric.memoryBytesSeconds = integral
        metric.diskReadOps = 3
        metric.diskWriteOps = 4
        return metric
    }

    @Test("collector SendMetricsBatch: ops metrics, the region dimension, doubles never billed")
    func collectorBatch() async throws {
        let context = TestPushContext(now: F.now)
        var request = Billing_V1_SendMetricsBatchRequest()
        let t = F.now.nanosecondsSinceEpoch / 1_000_000_000 - 60
        request.billingMetrics = [Self.billingMetrics(at: t), Self.billingMetrics(vm: "vm-2", region: "us", at: t)]
        let response = try await F.call(
            F.source(), "billing.v1.BillingCollectorService/SendMetricsBatch", proto: request, context: context)
        #expect(response.status == 200)
        let answer = try Billing_V1_SendMetricsBatchResponse(serializedBytes: F.bytes(response))
        #expect(answer.accepted == 2)
        let observations = try #require(context.batches.first?.observations)
        #expect(observations.count == 16)
        let metrics = Set(observations.map(\.series.metric))
        #expect(metrics.contains(VMObservations.diskReadOps))
        #expect(metrics.contains(VMObservations.diskWriteOps))
        #expect(Set(observations.compactMap { $0.series.dimension("region") }) == ["eu", "us"])
        #expect(context.batches.first?.samples == 2)
    }

    @Test("a client's memory_bytes_seconds is checked against the levels it reported before; a difference is counted")
    func memoryIntegral() async throws {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let t = F.now.nanosecondsSinceEpoch / 1_000_000_000 - 120
        var first = Billing_V1_SendMetricsRequest()
        first.metrics = Self.billingMetrics(at: t, memory: 1000)
        _ = try await F.call(source, "billing.v1.BillingCollectorService/SendMetrics", proto: first, context: context)
        var right = Billing_V1_SendMetricsRequest()
        right.metrics = Self.billingMetrics(at: t + 60, memory: 2000, integral: 60_000)
        _ = try await F.call(source, "billing.v1.BillingCollectorService/SendMetrics", proto: right, context: context)
        #expect(await source.activity.memoryIntegralMismatches == 0)
        var wrong = Billing_V1_SendMetricsRequest()
        wrong.metrics = Self.billingMetrics(at: t + 120, memory: 2000, integral: 100_000)
        _ = try await F.call(source, "billing.v1.BillingCollectorService/SendMetrics", proto: wrong, context: context)
        #expect(await source.activity.memoryIntegralMismatches == 1)
        #expect(await source.activity.memoryIntegralDifference == 20_000)
        #expect(context.batches.count == 3)
    }

    @Test(
        "start and stop instants are exact; a VM silent past stale_after without a stop is stale; unstarted billing is flagged"
    )
    func lifecycle() async throws {
        let source = ConnectVMMetricsSource(
            id: "vm", settings: ConnectVMMetricsSettings(maxBodyBytes: 65536, staleAfter: .seconds(60)))
        let context = TestPushContext(now: F.now)
        let start = F.now.nanosecondsSinceEpoch - 3_600_000_000_123
        let started = await F.call(
            source, "billing.v1.BillingService/NotifyVmStarted",
            json: #"{"vm_id":"vm-1","customer_id":"cust-1","start_time":"\#(start)"}"#, context: context)
        #expect(started.status == 200)
        #expect(await source.activity.vms["vm-1"]?.startedAt == Timestamp(nanosecondsSinceEpoch: start))
        _ = try await F.call(
            source, "billing.v1.BillingService/SendMetricsBatch", proto: F.metaldBatch(), context: context)
        _ = try await F.call(
            source, "billing.v1.BillingService/SendMetricsBatch", proto: F.metaldBatch(vm: "vm-9"), context: context)
        #expect(await source.activity.vms["vm-1"]?.billedWithoutStart == false)
        #expect(await source.activity.vms["vm-9"]?.billedWithoutStart == true)
        let later = F.now.adding(.seconds(120))
        #expect(await source.activity.stale(now: later, after: .seconds(60)).map(\.vmID) == ["vm-1", "vm-9"])
        let stop = F.now.nanosecondsSinceEpoch - 1
        let stopped = await F.call(
            source, "billing.v1.BillingService/NotifyVmStopped", json: #"{"vm_id":"vm-1","stop_time":\#(stop)}"#,
            context: context)
        #expect(stopped.status == 200)
        #expect(await source.activity.vms["vm-1"]?.stoppedAt == Timestamp(nanosecondsSinceEpoch: stop))
        #expect(await source.activity.stale(now: later, after: .seconds(60)).map(\.vmID) == ["vm-9"])
        let heartbeat = await F.call(
            source, "billing.v1.BillingService/SendHeartbeat",
            json: #"{"instance_id":"metald-1","active_vms":["vm-9"]}"#, context: context)
        #expect(heartbeat.status == 200)
        #expect(await source.activity.vms["vm-9"]?.billedWithoutStart == false)
        let backwards = await F.call(
            source, "billing.v1.BillingService/NotifyVmStopped", json: #"{"vm_id":"vm-1","stop_time":\#(start - 1)}"#,
            context: context)
        #expect(backwards.status == 400)
    }

    @Test("NotifyPossibleGap records the gap; resume before last_sent is refused")
    func gap() async {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let last = F.now.nanosecondsSinceEpoch - 600_000_000_000
        let ok = await F.call(
            source, "billing.v1.BillingService/NotifyPossibleGap",
            json: #"{"vm_id":"vm-1","last_sent":"\#(last)","resume_time":"\#(last + 300_000_000_000)"}"#,
            context: context)
        #expect(ok.status == 200)
        #expect(await source.activity.gaps.count == 1)
        #expect(await source.activity.gaps.first?.lastSent == Timestamp(nanosecondsSinceEpoch: last))
        let bad = await F.call(
            source, "billing.v1.BillingService/NotifyPossibleGap",
            json: #"{"vm_id":"vm-1","lastSent":"\#(last)","resumeTime":"\#(last)"}"#, context: context)
        #expect(bad.status == 400)
        #expect(await source.activity.gaps.count == 1)
    }

    @Test("GetCustomerUsage and GetBillingWindow read the ledger: integer strings, decimal money, totals per currency")
    func query() async throws {
        let hour = Timestamp(secondsSinceEpoch: 1_767_222_000)
        let ledger = FixedLedger(rows: [
            UsageRow(
                subject: "cust-1", metric: "vm.cpu_time_ns", unit: "nanosecond", periodStart: hour,
                quantity: "18446744073709551616", amount: try #require(Money(decimal: "1.25")), currency: "USD"),
            UsageRow(
                subject: "cust-1", metric: "vm.disk_read_bytes", unit: "byte", periodStart: hour, quantity: "5",
                amount: try #require(Money(decimal: "0.5")), currency: "USD"),
        ])
        let context = TestPushContext(now: F.now, ledger: ledger)
        var request = Billing_V1_GetBillingWindowRequest()
        request.customerID = "cust-1"
        request.windowStart = F.stamp(hour.nanosecondsSinceEpoch / 1_000_000_000)
        request.windowEnd = F.stamp(F.now.nanosecondsSinceEpoch / 1_000_000_000)
        let response = try await F.call(
            F.source(), "billing.v1.BillingQueryService/GetBillingWindow", proto: request, context: context)
        #expect(response.status == 200)
        let answer = try Billing_V1_GetBillingWindowResponse(serializedBytes: F.bytes(response))
        #expect(answer.usage.count == 2)
        #expect(answer.usage.first?.quantity == "18446744073709551616")
        #expect(answer.totals["USD"] == "1.75")
        #expect(ledger.queries.first?.subject == "cust-1")
        #expect(ledger.queries.first?.granularity == .hour)
        let usage = await F.call(
            F.source(), "billing.v1.BillingQueryService/GetCustomerUsage",
            json:
                #"{"customer_id":"cust-1","start":"2025-12-31T23:00:00Z","end":"2026-01-01T00:00:00Z","metric":"vm.cpu_time_ns"}"#,
            context: context)
        #expect(usage.status == 200)
        #expect(ledger.queries.last?.metric == "vm.cpu_time_ns")
        let noLedger = await F.call(
            F.source(), "billing.v1.BillingQueryService/GetCustomerUsage",
            json: #"{"customer_id":"cust-1","start":"2025-12-31T23:00:00Z","end":"2026-01-01T00:00:00Z"}"#,
            context: TestPushContext(now: F.now))
        #expect(noLedger.status == 400)
        #expect(F.json(noLedger)["code"] as? String == "failed_precondition")
    }

    @Test("StreamLiveUsage: an envelope per committed batch of the customer, then the end-of-stream frame")
    func liveStream() async throws {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        var message = Billing_V1_StreamLiveUsageRequest()
        message.customerID = "cust-1"
        let payload: [UInt8] = try message.serializedBytes()
        let body = ConnectServerStream.envelope(flags: 0, payload)
        let request = F.request(
            source, "billing.v1.BillingQueryService/StreamLiveUsage", body: body,
            contentType: "application/connect+proto")
        let response = await source.serve(request, context: context)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/connect+proto")
        guard case .stream(let frames) = response.body else {
            Issue.record("not a stream")
            return
        }
        #expect(context.readers == 1)
        let series = SeriesKey(source: "vm", subject: "cust-1", metric: "vm.cpu_time_ns", dimensions: [])
        let other = SeriesKey(source: "vm", subject: "cust-2", metric: "vm.cpu_time_ns", dimensions: [])
        let minute = Timestamp(secondsSinceEpoch: 1_767_225_540)
        func fact(_ series: SeriesKey, _ quantity: UInt64) -> UsageFact {
            UsageFact(
                id: FactID(high: quantity, low: 1), series: series, from: minute, to: minute.adding(.seconds(60)),
                minute: minute, quantity: quantity, flags: [], amount: .zero, currency: "", priceBook: "")
        }
        context.publish(CommittedBatch(pipeline: "p", sequence: 1, source: "vm", facts: [fact(other, 9)]))
        context.publish(
            CommittedBatch(pipeline: "p", sequence: 2, source: "vm", facts: [fact(series, 5), fact(series, 7)]))
        context.finishCommits()
        var received: [[UInt8]] = []
        for await chunk in frames { received.append(chunk) }
        #expect(received.count == 2)
        let update = try #require(received.first)
        #expect(update[0] == 0)
        let decoded = try Billing_V1_UsageUpdate(serializedBytes: Array(update[5...]))
        #expect(decoded.sequence == 2)
        #expect(decoded.usage.count == 1)
        #expect(decoded.usage.first?.quantity == "12")
        let end = try #require(received.last)
        #expect(end[0] == ConnectServerStream.endStreamFlag)
        #expect(Array(end[5...]) == Array("{}".utf8))
    }

    @Test("a streaming call with a bad message ends at once with an error frame (status 200)")
    func streamError() async {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let request = F.request(
            source, "billing.v1.BillingQueryService/StreamLiveUsage", body: ConnectServerStream.envelope(flags: 0, []),
            contentType: "application/connect+proto")
        let response = await source.serve(request, context: context)
        #expect(response.status == 200)
        let bytes = F.bytes(response)
        #expect(bytes.first == ConnectServerStream.endStreamFlag)
        let text = String(decoding: bytes.dropFirst(5), as: UTF8.self)
        #expect(text.contains(#""code":"invalid_argument""#), "\(text)")
        #expect(text.contains("customer_id: must not be empty"))
    }
}

/// A ledger that answers fixed rows and keeps the queries asked.
final class FixedLedger: UsageLedger, @unchecked Sendable {
    let rows: [UsageRow]
    private let lock = NSLock()
    private var asked: [UsageQuery] = []

    init(rows: [UsageRow]) { self.rows = rows }

    var ledgerID: String { "fixed" }
    var queries: [UsageQuery] { lock.withLock { asked } }

    func usage(_ query: UsageQuery, after cursor: UsageCursor?, limit: Int) async throws -> UsagePage {
        lock.withLock { asked.append(query) }
        return UsagePage(rows: rows.filter { query.metric == nil || $0.metric == query.metric }, next: nil)
    }

    func sourceMinuteTotals(source: String, after: Timestamp, through: Timestamp) async throws -> [SourceMinuteTotal] {
        []
    }
}
