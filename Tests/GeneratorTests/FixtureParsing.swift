import Core
import Foundation
import Generator
import Testing
import WireFormats

/// Test-only decoding of fixture lines through Foundation's JSONSerialization, so
/// the generator's output is checked by an independent JSON parser.
enum FixtureParsing {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func object(_ line: Substring) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
        guard let object = value as? [String: Any] else { throw Failure(description: "not an object: \(line)") }
        return object
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw Failure(description: "\(key) is not a string") }
        return value
    }

    static func timestamp(_ object: [String: Any], _ key: String) throws -> Timestamp {
        let text = try string(object, key)
        guard let time = Timestamp(rfc3339: text) else { throw Failure(description: "\(key): bad time \(text)") }
        return time
    }

    static func unsigned(_ object: [String: Any], _ key: String) throws -> UInt64 {
        guard let number = object[key] as? NSNumber else { throw Failure(description: "\(key) is not a number") }
        return number.uint64Value
    }

    /// A proto3 JSON int64: a decimal string, or absent for 0.
    static func protoInt(_ object: [String: Any], _ key: String) throws -> UInt64 {
        guard let value = object[key] else { return 0 }
        guard let text = value as? String, let number = UInt64(text) else {
            throw Failure(description: "\(key) is not an int64 string")
        }
        return number
    }

    static func snapshot(_ line: Substring) throws -> XraySnapshot {
        let object = try object(line)
        guard let samples = object["samples"] as? [[String: Any]] else { throw Failure(description: "no samples") }
        return XraySnapshot(
            collectedAt: try timestamp(object, "collected_at"), nodeID: try string(object, "node_id"),
            env: try string(object, "env"),
            samples: try samples.map {
                XraySample(
                    uuid: try string($0, "uuid"), email: try string($0, "email"),
                    inboundTag: try string($0, "inbound_tag"),
                    uplinkBytesTotal: try unsigned($0, "uplink_bytes_total"),
                    downlinkBytesTotal: try unsigned($0, "downlink_bytes_total"))
            })
    }

    static func vmBatch(_ line: Substring) throws -> VMMetricsBatch {
        let object = try object(line)
        let metrics = (object["metrics"] as? [[String: Any]]) ?? []
        return VMMetricsBatch(
            vmID: (object["vm_id"] as? String) ?? "", customerID: (object["customer_id"] as? String) ?? "",
            metrics: try metrics.map {
                VMMetricsSample(
                    timestamp: try timestamp($0, "timestamp"), cpuTimeNanos: try protoInt($0, "cpu_time_nanos"),
                    memoryUsageBytes: try protoInt($0, "memory_usage_bytes"),
                    diskReadBytes: try protoInt($0, "disk_read_bytes"),
                    diskWriteBytes: try protoInt($0, "disk_write_bytes"),
                    networkRxBytes: try protoInt($0, "network_rx_bytes"),
                    networkTxBytes: try protoInt($0, "network_tx_bytes"))
            })
    }

    static func observation(_ line: Substring, source: String) throws -> Observation {
        let object = try object(line)
        guard let dimensions = object["dimensions"] as? [String: String] else {
            throw Failure(description: "no dimensions")
        }
        let value = try unsigned(object, "value")
        let kind = try string(object, "kind")
        let observed: ObservationValue
        switch kind {
        case "cumulative": observed = .cumulative(value)
        case "gauge": observed = .gauge(value)
        case "delta": observed = .delta(value, idempotencyKey: object["idempotency_key"] as? String)
        default: throw Failure(description: "bad kind \(kind)")
        }
        return Observation(
            series: SeriesKey(
                source: source, subject: try string(object, "subject"), metric: try string(object, "metric"),
                dimensions: dimensions.map { Dimension($0.key, $0.value) }),
            time: try timestamp(object, "time"), value: observed)
    }

    static func lines(ofFile path: String) throws -> [Substring] {
        let data = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.isEmpty || text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// The observations a fixture file decodes to, by its format.
    static func observations(ofFile path: String, format: FixtureFormat, source: String) throws -> [Observation] {
        var out: [Observation] = []
        for line in try lines(ofFile: path) {
            switch format {
            case .xraySnapshots:
                let snapshot = try snapshot(line)
                for sample in snapshot.samples {
                    out += XrayMetrics.observations(of: sample, in: snapshot, source: source)
                }
            case .vmMetrics:
                let batch = try vmBatch(line)
                for sample in batch.metrics { out += VMMetrics.observations(of: sample, in: batch, source: source) }
            case .observations:
                out.append(try observation(line, source: source))
            }
        }
        return out
    }

    static func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.path
        return dir + "/generator-tests-\(UUID().uuidString)-\(name)"
    }
}

/// Reads a whole finite run.
func readAll(_ source: GeneratorSource, from cursor: SourceCursor? = nil) throws -> [ObservationBatch] {
    var reader = try source.reader(from: cursor)
    var batches: [ObservationBatch] = []
    while let batch = try reader.nextBatch() {
        batches.append(batch)
        if batches.count > 100_000 { break }
    }
    return batches
}

func allRecords(_ settings: GeneratorSettings) -> [GeneratedRecord] {
    var simulation = GeneratorSimulation(settings: settings)
    var records: [GeneratedRecord] = []
    while !simulation.isFinished { simulation.step(into: &records) }
    return records
}
