public import Core

/// Decodes metald's `SendMetricsBatch` request (UPSTREAMS §4) from raw UTF-8 proto3 JSON.
///
/// Field names are accepted in snake_case and lowerCamelCase (`cpu_time_nanos` /
/// `cpuTimeNanos`); giving both spellings of one field is a duplicate-key error.
/// Counters are int64 as a JSON number or a decimal string, 0...Int64.max. As in
/// proto3, an absent or `null` counter is 0 and an absent `metrics` is empty.
/// `vm_id` and `customer_id` are required and non-empty (usage without a billed
/// party cannot be billed) labels (`LabelRules`: customer_id as a subject, vm_id
/// as a dimension value); each sample's `timestamp` is required and in
/// `Timestamp.acceptedRange`.
public enum VMMetricsBatchDecoder {
    /// Decodes one request object (a whole document: trailing bytes are an error).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireFormatError) -> VMMetricsBatch {
        var scanner = JSONScanner(bytes)
        let batch = try decodeBatch(&scanner)
        try scanner.finish()
        return batch
    }

    /// Decodes one request from text.
    public static func decode(_ text: String) throws(WireFormatError) -> VMMetricsBatch {
        try withUTF8Bytes(of: text) { bytes throws(WireFormatError) in try decode(bytes) }
    }

    /// Decodes one request and appends `VMMetrics.observations` of every sample, in
    /// order. Appends nothing when it throws.
    public static func appendObservations(
        of bytes: UnsafeRawBufferPointer, source: String, to observations: inout [Observation]
    ) throws(WireFormatError) {
        let batch = try decode(bytes)
        observations.reserveCapacity(observations.count + batch.metrics.count * 6)
        for sample in batch.metrics {
            observations.append(contentsOf: VMMetrics.observations(of: sample, in: batch, source: source))
        }
    }

    private static let batchKeys = JSONKeyTable([
        ("vm_id", 0), ("vmId", 0), ("customer_id", 1), ("customerId", 1), ("metrics", 2),
    ])
    private static let batchNames = ["vm_id", "customer_id", "metrics"]

    private static let sampleKeys = JSONKeyTable([
        ("timestamp", 0),
        ("cpu_time_nanos", 1), ("cpuTimeNanos", 1),
        ("memory_usage_bytes", 2), ("memoryUsageBytes", 2),
        ("disk_read_bytes", 3), ("diskReadBytes", 3),
        ("disk_write_bytes", 4), ("diskWriteBytes", 4),
        ("network_rx_bytes", 5), ("networkRxBytes", 5),
        ("network_tx_bytes", 6), ("networkTxBytes", 6),
    ])
    private static let sampleNames = [
        "timestamp", "cpu_time_nanos", "memory_usage_bytes", "disk_read_bytes", "disk_write_bytes",
        "network_rx_bytes", "network_tx_bytes",
    ]

    static func decodeBatch(_ s: inout JSONScanner) throws(WireFormatError) -> VMMetricsBatch {
        try s.beginObject()
        let objectStart = s.index - 1
        var vmID: String?
        var customerID: String?
        var metrics: [VMMetricsSample] = []
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try batchKeys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = batchNames[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            switch field {
            case 0, 1:
                let start = s.index
                let value =
                    try inField(name) { () throws(WireFormatError) in
                        try s.readOptionalLabel(field == 1 ? .subject : .dimensionValue)
                    } ?? ""
                guard !value.isEmpty else { throw s.error("must not be empty", at: start).within(name) }
                if field == 0 { vmID = value } else { customerID = value }
            default:
                if s.consumeNull() { continue }
                metrics = try inField(name) { () throws(WireFormatError) -> [VMMetricsSample] in
                    try s.beginArray()
                    var list: [VMMetricsSample] = []
                    var firstElement = true
                    while try s.nextElement(first: &firstElement) {
                        let position = list.count
                        let sample = try inField("[\(position)]") { () throws(WireFormatError) in
                            try decodeSample(&s)
                        }
                        list.append(sample)
                    }
                    return list
                }
            }
        }
        guard let vmID else { throw s.error("required key is missing", at: objectStart).within("vm_id") }
        guard let customerID else { throw s.error("required key is missing", at: objectStart).within("customer_id") }
        return VMMetricsBatch(vmID: vmID, customerID: customerID, metrics: metrics)
    }

    static func decodeSample(_ s: inout JSONScanner) throws(WireFormatError) -> VMMetricsSample {
        try s.beginObject()
        let objectStart = s.index - 1
        var timestamp: Timestamp?
        var counters: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try sampleKeys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = sampleNames[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            if field == 0 {
                timestamp = try inField(name) { () throws(WireFormatError) in try s.readTimestamp() }
                continue
            }
            let value: UInt64 =
                s.consumeNull()
                ? 0 : try inField(name) { () throws(WireFormatError) in try s.readCounter(allowString: true) }
            switch field {
            case 1: counters.0 = value
            case 2: counters.1 = value
            case 3: counters.2 = value
            case 4: counters.3 = value
            case 5: counters.4 = value
            default: counters.5 = value
            }
        }
        guard let timestamp else { throw s.error("required key is missing", at: objectStart).within("timestamp") }
        return VMMetricsSample(
            timestamp: timestamp, cpuTimeNanos: counters.0, memoryUsageBytes: counters.1, diskReadBytes: counters.2,
            diskWriteBytes: counters.3, networkRxBytes: counters.4, networkTxBytes: counters.5)
    }
}
