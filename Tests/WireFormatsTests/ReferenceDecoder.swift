import Core
import Foundation
import WireFormats

/// An independent, slow decoder of the three line formats built on Foundation's
/// `JSONSerialization`: the oracle the fast decoders are compared against.
enum ReferenceDecoder {
    struct Rejected: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func observations(_ line: [UInt8], format: FixtureFormat, source: String) throws -> [Observation] {
        let root = try JSONSerialization.jsonObject(with: Data(line), options: [])
        guard let object = root as? [String: Any] else { throw Rejected("not an object") }
        switch format {
        case .xraySnapshots:
            let snapshot = try xraySnapshot(object)
            return snapshot.samples.flatMap { XrayMetrics.observations(of: $0, in: snapshot, source: source) }
        case .vmMetrics:
            let batch = try vmBatch(object)
            return batch.metrics.flatMap { VMMetrics.observations(of: $0, in: batch, source: source) }
        case .observations:
            return [try observation(object, source: source)]
        }
    }

    static func xraySnapshot(_ o: [String: Any]) throws -> XraySnapshot {
        guard let samples = o["samples"] as? [Any] else { throw Rejected("samples") }
        return XraySnapshot(
            collectedAt: try time(o["collected_at"]), nodeID: try label(o["node_id"], 256),
            env: try label(o["env"], 256),
            samples: try samples.map { any in
                guard let s = any as? [String: Any] else { throw Rejected("sample") }
                let uuid = try label(s["uuid"], 256)
                guard !uuid.isEmpty else { throw Rejected("empty uuid") }
                return XraySample(
                    uuid: uuid, email: try s["email"].map { try label($0, 256) } ?? "",
                    inboundTag: try s["inbound_tag"].map { try label($0, 256) } ?? "",
                    uplinkBytesTotal: try counter(s["uplink_bytes_total"], allowString: false),
                    downlinkBytesTotal: try counter(s["downlink_bytes_total"], allowString: false))
            })
    }

    static func vmBatch(_ o: [String: Any]) throws -> VMMetricsBatch {
        func field(_ d: [String: Any], _ snake: String, _ camel: String) throws -> Any? {
            if d[snake] != nil, d[camel] != nil { throw Rejected("both spellings") }
            let v = d[snake] ?? d[camel]
            return v is NSNull ? nil : v
        }
        let vm = try label(try field(o, "vm_id", "vmId"), 256)
        let customer = try label(try field(o, "customer_id", "customerId"), 256)
        guard !vm.isEmpty, !customer.isEmpty else { throw Rejected("empty id") }
        let metrics = (o["metrics"] as? [Any]) ?? []
        return VMMetricsBatch(
            vmID: vm, customerID: customer,
            metrics: try metrics.map { any in
                guard let m = any as? [String: Any] else { throw Rejected("metric") }
                func c(_ snake: String, _ camel: String) throws -> UInt64 {
                    guard let v = try field(m, snake, camel) else { return 0 }
                    return try counter(v, allowString: true)
                }
                return VMMetricsSample(
                    timestamp: try time(m["timestamp"]), cpuTimeNanos: try c("cpu_time_nanos", "cpuTimeNanos"),
                    memoryUsageBytes: try c("memory_usage_bytes", "memoryUsageBytes"),
                    diskReadBytes: try c("disk_read_bytes", "diskReadBytes"),
                    diskWriteBytes: try c("disk_write_bytes", "diskWriteBytes"),
                    networkRxBytes: try c("network_rx_bytes", "networkRxBytes"),
                    networkTxBytes: try c("network_tx_bytes", "networkTxBytes"))
            })
    }

    static func observation(_ o: [String: Any], source: String) throws -> Observation {
        let subject = try label(o["subject"], 256)
        let metric = try label(o["metric"], 128)
        guard !subject.isEmpty, !metric.isEmpty else { throw Rejected("empty") }
        var dimensions: [Core.Dimension] = []
        if let d = o["dimensions"], !(d is NSNull) {
            guard let map = d as? [String: Any] else { throw Rejected("dimensions") }
            guard map.count <= 32 else { throw Rejected("too many dimensions") }
            dimensions = try map.map {
                guard !$0.key.isEmpty else { throw Rejected("empty dimension key") }
                return Core.Dimension(try label($0.key, 64), try label($0.value, 256))
            }
        }
        let value = try counter(o["value"], allowString: true)
        var key: String? = nil
        if let k = o["idempotency_key"], !(k is NSNull) {
            key = try label(k, 256)
            guard key?.isEmpty == false else { throw Rejected("empty key") }
        }
        let kind = try string(o["kind"])
        let observed: ObservationValue
        switch kind {
        case "cumulative" where key == nil: observed = .cumulative(value)
        case "gauge" where key == nil: observed = .gauge(value)
        case "delta": observed = .delta(value, idempotencyKey: key)
        default: throw Rejected("kind")
        }
        return Observation(
            series: SeriesKey(source: source, subject: subject, metric: metric, dimensions: dimensions),
            time: try time(o["time"]), value: observed)
    }

    static func string(_ value: Any?) throws -> String {
        guard let s = value as? String else { throw Rejected("not a string: \(String(describing: value))") }
        return s
    }

    /// A label: at most `maximumBytes` of UTF-8, no C0/C1 control character nor DEL.
    static func label(_ value: Any?, _ maximumBytes: Int) throws -> String {
        let s = try string(value)
        guard s.utf8.count <= maximumBytes else { throw Rejected("label too long") }
        for scalar in s.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            throw Rejected("control character in a label")
        }
        return s
    }

    /// A time in the accepted years, 1970-01-01T00:00:00Z up to 2262-01-01T00:00:00Z.
    static func time(_ value: Any?) throws -> Timestamp {
        guard let t = Timestamp(rfc3339: try string(value)) else { throw Rejected("time") }
        guard t.nanosecondsSinceEpoch >= 0, t.nanosecondsSinceEpoch < 9_214_646_400 * 1_000_000_000 else {
            throw Rejected("time outside 1970…2261")
        }
        return t
    }

    static func counter(_ value: Any?, allowString: Bool) throws -> UInt64 {
        if let text = value as? String {
            guard allowString, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                text == "0" || !text.hasPrefix("0"), let v = Int64(text)
            else { throw Rejected("counter string") }
            return UInt64(v)
        }
        guard let number = value as? NSNumber else { throw Rejected("counter type") }
        let type = String(cString: number.objCType)
        guard type != "d", type != "f", type != "c" else { throw Rejected("counter not an integer (\(type))") }
        let v = number.int64Value
        guard v >= 0, number.stringValue == String(v) else { throw Rejected("counter range") }
        return UInt64(v)
    }
}
