public import Core
public import SwiftProtobuf
import WireFormats

/// Turns the metrics messages of §4 (metald's `VMMetrics`) and §6 (the
/// collector's `BillingMetrics`) into observations named as the `vm_metrics`
/// replay format names them, so replayed and pushed VM usage are priced alike.
///
/// Subject = customer; dimensions `vm_id` and, when known, `region`. CPU ns,
/// disk and network bytes and disk ops are cumulative, memory a gauge billed
/// as byte-seconds. A message is checked whole before anything is made from
/// it: the first bad reading refuses the batch, naming its index and field.
public struct VMObservations: Sendable {
    /// Disk operations, new with the collector's `BillingMetrics`.
    public static let diskReadOps = "vm.disk_read_ops"
    public static let diskWriteOps = "vm.disk_write_ops"

    public var source: String
    public var window: ObservationWindow
    /// The region of metald batches, which carry none (`region` in the config).
    public var defaultRegion: String?

    public init(source: String, window: ObservationWindow, defaultRegion: String?) {
        self.source = source
        self.window = window
        self.defaultRegion = defaultRegion
    }

    /// The observations of one metald `SendMetricsBatch`.
    public func observations(of request: Billing_V1_SendMetricsBatchRequest, now: Timestamp) throws(ConnectError)
        -> [Observation]
    {
        try Self.checkLabel(request.vmID, field: "vm_id", kind: .dimensionValue)
        try Self.checkLabel(request.customerID, field: "customer_id", kind: .subject)
        let dimensions = dimensions(vmID: request.vmID, region: defaultRegion)
        var out: [Observation] = []
        out.reserveCapacity(request.metrics.count * 6)
        for (index, metric) in request.metrics.enumerated() {
            let at = "metrics[\(index)]"
            let time = try checkedTime(metric.hasTimestamp ? metric.timestamp : nil, field: "\(at).timestamp", now: now)
            func counter(_ value: Int64, _ name: String) throws(ConnectError) -> UInt64 {
                guard value >= 0 else {
                    throw ConnectError(.invalidArgument, "\(at).\(name): \(value) is negative; readings never are")
                }
                return UInt64(value)
            }
            let cpu = try counter(metric.cpuTimeNanos, "cpu_time_nanos")
            let memory = try counter(metric.memoryUsageBytes, "memory_usage_bytes")
            let diskRead = try counter(metric.diskReadBytes, "disk_read_bytes")
            let diskWrite = try counter(metric.diskWriteBytes, "disk_write_bytes")
            let rx = try counter(metric.networkRxBytes, "network_rx_bytes")
            let tx = try counter(metric.networkTxBytes, "network_tx_bytes")
            func series(_ name: String) -> SeriesKey {
                SeriesKey(source: source, subject: request.customerID, metric: name, sortedDimensions: dimensions)
            }
            out.append(Observation(series: series(VMMetrics.cpuTime), time: time, value: .cumulative(cpu)))
            out.append(Observation(series: series(VMMetrics.diskRead), time: time, value: .cumulative(diskRead)))
            out.append(Observation(series: series(VMMetrics.diskWrite), time: time, value: .cumulative(diskWrite)))
            out.append(Observation(series: series(VMMetrics.networkRx), time: time, value: .cumulative(rx)))
            out.append(Observation(series: series(VMMetrics.networkTx), time: time, value: .cumulative(tx)))
            out.append(Observation(series: series(VMMetrics.memory), time: time, value: .gauge(memory)))
        }
        return out
    }

    /// The observations of collector `BillingMetrics` (index = position in the
    /// request, for errors): eight per message.
    public func observations(of metrics: [Billing_V1_BillingMetrics], field: String, now: Timestamp)
        throws(ConnectError) -> [Observation]
    {
        var out: [Observation] = []
        out.reserveCapacity(metrics.count * 9)
        for (index, metric) in metrics.enumerated() {
            let at = "\(field)[\(index)]"
            try Self.checkLabel(metric.vmID, field: "\(at).vm_id", kind: .dimensionValue)
            try Self.checkLabel(metric.customerID, field: "\(at).customer_id", kind: .subject)
            if !metric.region.isEmpty {
                try Self.checkLabel(metric.region, field: "\(at).region", kind: .dimensionValue)
            }
            let stamp: Google_Protobuf_Timestamp? =
                metric.hasTimestamp ? metric.timestamp : (metric.hasWindowEnd ? metric.windowEnd : nil)
            let time = try checkedTime(stamp, field: "\(at).timestamp", now: now)
            let dimensions = dimensions(
                vmID: metric.vmID, region: metric.region.isEmpty ? defaultRegion : metric.region)
            func series(_ name: String) -> SeriesKey {
                SeriesKey(source: source, subject: metric.customerID, metric: name, sortedDimensions: dimensions)
            }
            let cumulative: [(String, UInt64)] = [
                (VMMetrics.cpuTime, metric.cpuTimeNanos), (VMMetrics.diskRead, metric.diskReadBytes),
                (VMMetrics.diskWrite, metric.diskWriteBytes), (Self.diskReadOps, metric.diskReadOps),
                (Self.diskWriteOps, metric.diskWriteOps), (VMMetrics.networkRx, metric.networkRxBytes),
                (VMMetrics.networkTx, metric.networkTxBytes),
            ]
            for (name, value) in cumulative {
                out.append(Observation(series: series(name), time: time, value: .cumulative(value)))
            }
            out.append(Observation(series: series(VMMetrics.memory), time: time, value: .gauge(metric.memoryBytesUsed)))
        }
        return out
    }

    func dimensions(vmID: String, region: String?) -> [Dimension] {
        // Sorted by key: region < vm_id.
        if let region, !region.isEmpty { return [Dimension("region", region), Dimension("vm_id", vmID)] }
        return [Dimension("vm_id", vmID)]
    }

    /// A reading's instant: present, representable and inside the source's clock window.
    func checkedTime(_ stamp: Google_Protobuf_Timestamp?, field: String, now: Timestamp) throws(ConnectError)
        -> Timestamp
    {
        guard let stamp else {
            throw ConnectError(.invalidArgument, "\(field): missing; every reading needs its instant")
        }
        guard let time = Self.timestamp(stamp) else {
            throw ConnectError(.invalidArgument, "\(field): \(stamp.seconds)s \(stamp.nanos)ns is out of range")
        }
        if let violation = window.violation(of: time, now: now) {
            throw ConnectError(.invalidArgument, "\(field): \(violation)")
        }
        return time
    }

    /// A protobuf `Timestamp` as ours; nil outside the accepted years or with bad nanos.
    public static func timestamp(_ stamp: Google_Protobuf_Timestamp) -> Timestamp? {
        guard (0..<1_000_000_000).contains(stamp.nanos) else { return nil }
        let (scaled, overflow) = stamp.seconds.multipliedReportingOverflow(by: Timestamp.nanosecondsPerSecond)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(Int64(stamp.nanos))
        guard !overflow2 else { return nil }
        let time = Timestamp(nanosecondsSinceEpoch: total)
        return time.isAccepted ? time : nil
    }

    /// Unix nanoseconds (§4's `start_time`, `stop_time`, `last_sent`, `resume_time`) as ours.
    public static func timestamp(unixNanoseconds value: Int64, field: String) throws(ConnectError) -> Timestamp {
        let time = Timestamp(nanosecondsSinceEpoch: value)
        guard value > 0, time.isAccepted else {
            throw ConnectError(.invalidArgument, "\(field): \(value) is not a Unix time in nanoseconds after 1970")
        }
        return time
    }

    /// Ours as a protobuf `Timestamp`.
    public static func protobuf(_ time: Timestamp) -> Google_Protobuf_Timestamp {
        let ns = time.nanosecondsSinceEpoch
        var seconds = ns / Timestamp.nanosecondsPerSecond
        var nanos = ns % Timestamp.nanosecondsPerSecond
        if nanos < 0 {
            seconds -= 1
            nanos += Timestamp.nanosecondsPerSecond
        }
        return Google_Protobuf_Timestamp(seconds: seconds, nanos: Int32(nanos))
    }

    /// A label that must be present and hold to `LabelRules`.
    static func checkLabel(_ value: String, field: String, kind: LabelField) throws(ConnectError) {
        guard !value.isEmpty else { throw ConnectError(.invalidArgument, "\(field): must not be empty") }
        if let violation = LabelRules.violation(in: value, field: kind) {
            throw ConnectError(.invalidArgument, "\(field): \(violation)")
        }
    }
}
