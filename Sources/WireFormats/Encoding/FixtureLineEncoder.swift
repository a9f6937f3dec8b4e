public import Core

/// Writes the upstream wire formats and the project's observation lines as UTF-8
/// JSON, byte for byte as the real senders do (UPSTREAMS §1, §4).
///
/// Exists for the generator (fixtures of millions of lines for benchmarks and the
/// crash test) and for fake upstream servers in tests. Holds only a timestamp
/// cache; append into a reused buffer and flush it yourself.
public struct FixtureLineEncoder: Sendable {
    private var times = TimestampText()

    public init() {}

    // MARK: xray-exporter

    /// One snapshot as one line (`{...}\n`): `collected_at`, `node_id`, `env`,
    /// `samples[{uuid, email, inbound_tag, uplink_bytes_total, downlink_bytes_total}]`.
    public mutating func appendLine(_ snapshot: XraySnapshot, to out: inout [UInt8]) {
        appendObject(snapshot, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// One snapshot object, without a line end.
    public mutating func appendObject(_ snapshot: XraySnapshot, to out: inout [UInt8]) {
        JSONText.appendRaw("{\"collected_at\":", to: &out)
        times.appendQuoted(snapshot.collectedAt, to: &out)
        JSONText.appendRaw(",\"node_id\":", to: &out)
        JSONText.appendString(snapshot.nodeID, to: &out)
        JSONText.appendRaw(",\"env\":", to: &out)
        JSONText.appendString(snapshot.env, to: &out)
        JSONText.appendRaw(",\"samples\":[", to: &out)
        snapshot.samples.withUnsafeBufferPointer { samples in
            for index in samples.indices {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendRaw("{\"uuid\":", to: &out)
                JSONText.appendString(samples[index].uuid, to: &out)
                JSONText.appendRaw(",\"email\":", to: &out)
                JSONText.appendString(samples[index].email, to: &out)
                JSONText.appendRaw(",\"inbound_tag\":", to: &out)
                JSONText.appendString(samples[index].inboundTag, to: &out)
                JSONText.appendRaw(",\"uplink_bytes_total\":", to: &out)
                JSONText.appendUnsigned(samples[index].uplinkBytesTotal, to: &out)
                JSONText.appendRaw(",\"downlink_bytes_total\":", to: &out)
                JSONText.appendUnsigned(samples[index].downlinkBytesTotal, to: &out)
                out.append(UInt8(ascii: "}"))
            }
        }
        JSONText.appendRaw("]}", to: &out)
    }

    /// One `GET /v1/snapshots/window` response body (no line end): `node_id`, `env`,
    /// `snapshots`, `has_more`, and `next_cursor` only when it is not `nil`.
    public mutating func appendObject(_ page: XrayWindowPage, to out: inout [UInt8]) {
        JSONText.appendRaw("{\"node_id\":", to: &out)
        JSONText.appendString(page.nodeID, to: &out)
        JSONText.appendRaw(",\"env\":", to: &out)
        JSONText.appendString(page.env, to: &out)
        JSONText.appendRaw(",\"snapshots\":[", to: &out)
        var first = true
        for snapshot in page.snapshots {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            appendObject(snapshot, to: &out)
        }
        JSONText.appendRaw("],\"has_more\":", to: &out)
        if page.hasMore {
            JSONText.appendRaw("true", to: &out)
        } else {
            JSONText.appendRaw("false", to: &out)
        }
        if let cursor = page.nextCursor {
            JSONText.appendRaw(",\"next_cursor\":", to: &out)
            JSONText.appendString(cursor, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    // MARK: metald SendMetricsBatch

    /// One `SendMetricsBatch` request as one line, as proto3 JSON writes it:
    /// snake_case names, int64 values as decimal strings, and fields holding their
    /// zero value (0, "", no metrics) omitted. `timestamp` is always written.
    public mutating func appendLine(_ batch: VMMetricsBatch, to out: inout [UInt8]) {
        appendObject(batch, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// One `SendMetricsBatch` request object, without a line end.
    public mutating func appendObject(_ batch: VMMetricsBatch, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var needsComma = false
        func separator(_ out: inout [UInt8]) {
            if needsComma { out.append(UInt8(ascii: ",")) }
            needsComma = true
        }
        if !batch.vmID.isEmpty {
            separator(&out)
            JSONText.appendRaw("\"vm_id\":", to: &out)
            JSONText.appendString(batch.vmID, to: &out)
        }
        if !batch.customerID.isEmpty {
            separator(&out)
            JSONText.appendRaw("\"customer_id\":", to: &out)
            JSONText.appendString(batch.customerID, to: &out)
        }
        if !batch.metrics.isEmpty {
            separator(&out)
            JSONText.appendRaw("\"metrics\":[", to: &out)
            var first = true
            for sample in batch.metrics {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendSample(sample, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    private mutating func appendSample(_ sample: VMMetricsSample, to out: inout [UInt8]) {
        JSONText.appendRaw("{\"timestamp\":", to: &out)
        times.appendQuoted(sample.timestamp, to: &out)
        if sample.cpuTimeNanos != 0 {
            JSONText.appendRaw(",\"cpu_time_nanos\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.cpuTimeNanos, to: &out)
        }
        if sample.memoryUsageBytes != 0 {
            JSONText.appendRaw(",\"memory_usage_bytes\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.memoryUsageBytes, to: &out)
        }
        if sample.diskReadBytes != 0 {
            JSONText.appendRaw(",\"disk_read_bytes\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.diskReadBytes, to: &out)
        }
        if sample.diskWriteBytes != 0 {
            JSONText.appendRaw(",\"disk_write_bytes\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.diskWriteBytes, to: &out)
        }
        if sample.networkRxBytes != 0 {
            JSONText.appendRaw(",\"network_rx_bytes\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.networkRxBytes, to: &out)
        }
        if sample.networkTxBytes != 0 {
            JSONText.appendRaw(",\"network_tx_bytes\":", to: &out)
            JSONText.appendQuotedUnsigned(sample.networkTxBytes, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    // MARK: observations

    /// One observation as one line of the project's own format:
    /// `{"subject","metric","dimensions":{...},"time","kind","value"[,"idempotency_key"]}`.
    /// Dimensions are written in the series key's (sorted) order; the value is an
    /// integer; `idempotency_key` appears only on a delta that has one. The source id
    /// is not written: the replaying source supplies its own.
    public mutating func appendLine(_ observation: Observation, to out: inout [UInt8]) {
        appendObject(observation, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// One observation object, without a line end.
    public mutating func appendObject(_ observation: Observation, to out: inout [UInt8]) {
        JSONText.appendRaw("{\"subject\":", to: &out)
        JSONText.appendString(observation.series.subject, to: &out)
        JSONText.appendRaw(",\"metric\":", to: &out)
        JSONText.appendString(observation.series.metric, to: &out)
        JSONText.appendRaw(",\"dimensions\":{", to: &out)
        var first = true
        for dimension in observation.series.dimensions {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(dimension.key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendString(dimension.value, to: &out)
        }
        JSONText.appendRaw("},\"time\":", to: &out)
        times.appendQuoted(observation.time, to: &out)
        switch observation.value {
        case .cumulative(let value):
            JSONText.appendRaw(",\"kind\":\"cumulative\",\"value\":", to: &out)
            JSONText.appendUnsigned(value, to: &out)
        case .gauge(let value):
            JSONText.appendRaw(",\"kind\":\"gauge\",\"value\":", to: &out)
            JSONText.appendUnsigned(value, to: &out)
        case .delta(let value, let key):
            JSONText.appendRaw(",\"kind\":\"delta\",\"value\":", to: &out)
            JSONText.appendUnsigned(value, to: &out)
            if let key {
                JSONText.appendRaw(",\"idempotency_key\":", to: &out)
                JSONText.appendString(key, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}
