public import Core

/// One `SendMetricsBatch` request of metald's billing collector (UPSTREAMS §4):
/// a VM's counters over several instants. A line of a `vm_metrics` fixture.
public struct VMMetricsBatch: Hashable, Sendable {
    public var vmID: String
    public var customerID: String
    public var metrics: [VMMetricsSample]

    public init(vmID: String, customerID: String, metrics: [VMMetricsSample]) {
        self.vmID = vmID
        self.customerID = customerID
        self.metrics = metrics
    }
}

/// One `VMMetrics` message. Proto3 JSON omits zero values, so an absent field is 0.
public struct VMMetricsSample: Hashable, Sendable {
    public var timestamp: Timestamp
    public var cpuTimeNanos: UInt64
    public var memoryUsageBytes: UInt64
    public var diskReadBytes: UInt64
    public var diskWriteBytes: UInt64
    public var networkRxBytes: UInt64
    public var networkTxBytes: UInt64

    public init(
        timestamp: Timestamp, cpuTimeNanos: UInt64 = 0, memoryUsageBytes: UInt64 = 0, diskReadBytes: UInt64 = 0,
        diskWriteBytes: UInt64 = 0, networkRxBytes: UInt64 = 0, networkTxBytes: UInt64 = 0
    ) {
        self.timestamp = timestamp
        self.cpuTimeNanos = cpuTimeNanos
        self.memoryUsageBytes = memoryUsageBytes
        self.diskReadBytes = diskReadBytes
        self.diskWriteBytes = diskWriteBytes
        self.networkRxBytes = networkRxBytes
        self.networkTxBytes = networkTxBytes
    }
}

/// Metric names the VM format maps to.
public enum VMMetrics {
    public static let cpuTime = "vm.cpu_time_ns"
    public static let diskRead = "vm.disk_read_bytes"
    public static let diskWrite = "vm.disk_write_bytes"
    public static let networkRx = "vm.network_rx_bytes"
    public static let networkTx = "vm.network_tx_bytes"
    /// The memory gauge, billed as its integral.
    public static let memory = "vm.memory_byte_seconds"

    /// The observations one sample yields, in this order: cpu, disk read, disk write,
    /// network rx, network tx (cumulative), memory (gauge). Subject = customer_id,
    /// dimension vm_id.
    public static func observations(of sample: VMMetricsSample, in batch: VMMetricsBatch, source: String)
        -> [Observation]
    {
        let dimensions = [Dimension("vm_id", batch.vmID)]
        func series(_ metric: String) -> SeriesKey {
            SeriesKey(source: source, subject: batch.customerID, metric: metric, sortedDimensions: dimensions)
        }
        let t = sample.timestamp
        return [
            Observation(series: series(cpuTime), time: t, value: .cumulative(sample.cpuTimeNanos)),
            Observation(series: series(diskRead), time: t, value: .cumulative(sample.diskReadBytes)),
            Observation(series: series(diskWrite), time: t, value: .cumulative(sample.diskWriteBytes)),
            Observation(series: series(networkRx), time: t, value: .cumulative(sample.networkRxBytes)),
            Observation(series: series(networkTx), time: t, value: .cumulative(sample.networkTxBytes)),
            Observation(series: series(memory), time: t, value: .gauge(sample.memoryUsageBytes)),
        ]
    }
}
