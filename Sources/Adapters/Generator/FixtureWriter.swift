public import Core
import Foundation
public import WireFormats

/// What `writeFixture` wrote.
public struct FixtureSummary: Hashable, Sendable {
    public var format: FixtureFormat
    public var path: String
    /// Lines written (snapshots, VM batches or observations).
    public var lines: UInt64
    /// Observations the file decodes to.
    public var observations: UInt64
    public var bytes: UInt64
    /// Simulated time of the first and the last tick of the run.
    public var firstTick: Timestamp
    public var lastTick: Timestamp
    /// Faults injected over the whole run (all families).
    public var statistics: GeneratorStatistics
}

extension GeneratorSource {
    /// Writes the whole (finite) run as a fixture file: `xray_snapshots` (the
    /// snapshots, one a line), `vm_metrics` (the `SendMetricsBatch` requests) or
    /// `observations` (every observation the source emits, one a line). The lines
    /// decode to exactly the observations the source emits for that family, in the
    /// same order. Refuses an infinite run and a format of a family the config does
    /// not generate. Overwrites `path`.
    public func writeFixture(format: FixtureFormat, to path: String) throws -> FixtureSummary {
        guard settings.duration != nil else {
            throw PluginError(
                .permanent, component: component,
                "duration is not set, so the run is infinite: set sources.\(id).duration to write a fixture")
        }
        let families: Set<GeneratorSettings.Family>
        switch format {
        case .xraySnapshots:
            guard settings.generatesXray else {
                throw PluginError(
                    .permanent, component: component,
                    "format xray_snapshots needs family xray, but families is [\(familyList)]")
            }
            families = [.xray]
        case .vmMetrics:
            guard settings.generatesVM else {
                throw PluginError(
                    .permanent, component: component,
                    "format vm_metrics needs family vm, but families is [\(familyList)]")
            }
            families = [.vm]
        case .observations:
            families = Set(settings.families)
        }
        let output = try FixtureOutput(path: path, component: component)
        var summary = FixtureSummary(
            format: format, path: path, lines: 0, observations: 0, bytes: 0, firstTick: settings.start,
            lastTick: settings.time(ofTick: max(settings.tickCount - 1, 0)), statistics: GeneratorStatistics())
        var simulation = GeneratorSimulation(settings: settings)
        var encoder = FixtureLineEncoder()
        var buffer: [UInt8] = []
        let flushAt = 4 << 20
        buffer.reserveCapacity(flushAt + (64 << 10))
        var records: [GeneratedRecord] = []
        var observations: [Observation] = []
        while !simulation.isFinished {
            records.removeAll(keepingCapacity: true)
            simulation.step(emit: true, families: families, into: &records)
            for record in records {
                switch (format, record) {
                case (.xraySnapshots, .snapshot(let snapshot)):
                    encoder.appendLine(snapshot, to: &buffer)
                    summary.lines += 1
                    summary.observations += UInt64(2 * snapshot.samples.count)
                case (.vmMetrics, .vmBatch(let batch)):
                    encoder.appendLine(batch, to: &buffer)
                    summary.lines += 1
                    summary.observations += UInt64(6 * batch.metrics.count)
                case (.observations, _):
                    observations.removeAll(keepingCapacity: true)
                    record.appendObservations(source: id, to: &observations)
                    for observation in observations { encoder.appendLine(observation, to: &buffer) }
                    summary.lines += UInt64(observations.count)
                    summary.observations += UInt64(observations.count)
                default:
                    continue
                }
            }
            if buffer.count >= flushAt {
                summary.bytes += UInt64(buffer.count)
                try output.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        summary.bytes += UInt64(buffer.count)
        try output.write(buffer)
        try output.close()
        summary.statistics = simulation.statistics
        return summary
    }

    private var familyList: String { settings.families.map(\.rawValue).joined(separator: ", ") }
}

/// A file opened for writing a fixture, with errors that name it.
private final class FixtureOutput {
    private let handle: FileHandle
    private let path: String
    private let component: String

    init(path: String, component: String) throws {
        self.path = path
        self.component = component
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw PluginError(.permanent, component: component, "cannot create fixture file \(path)")
        }
        self.handle = handle
    }

    func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        do {
            try bytes.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        } catch {
            throw PluginError(.permanent, component: component, "cannot write \(path): \(error)")
        }
    }

    func close() throws {
        do {
            try handle.close()
        } catch {
            throw PluginError(.permanent, component: component, "cannot close \(path): \(error)")
        }
    }
}
