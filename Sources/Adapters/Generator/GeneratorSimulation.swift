public import Core
public import WireFormats

/// One record a simulated upstream sends: an xray snapshot or a VM batch.
public enum GeneratedRecord: Hashable, Sendable {
    case snapshot(XraySnapshot)
    case vmBatch(VMMetricsBatch)

    /// The observations a decoder of the fixture line yields, in line order
    /// (the same mapping the wire decoders use).
    public func observations(source: String) -> [Observation] {
        var out: [Observation] = []
        appendObservations(source: source, to: &out)
        return out
    }

    public func appendObservations(source: String, to out: inout [Observation]) {
        switch self {
        case .snapshot(let snapshot):
            for sample in snapshot.samples {
                out.append(contentsOf: XrayMetrics.observations(of: sample, in: snapshot, source: source))
            }
        case .vmBatch(let batch):
            for sample in batch.metrics {
                out.append(contentsOf: VMMetrics.observations(of: sample, in: batch, source: source))
            }
        }
    }
}

/// Where a simulation stands: the next (tick, stream) to run. Streams of a tick are
/// the xray nodes in order, then the VMs in order. This is the source cursor.
public struct GeneratorPosition: Hashable, Sendable, Codable {
    public var tick: Int64
    public var stream: Int

    public init(tick: Int64, stream: Int) {
        self.tick = tick
        self.stream = stream
    }
}

/// A whole simulated run, stepped one stream-tick at a time.
///
/// Exists so the live source, the fixture writer and resumption share one code
/// path: the same seed and settings give the same records in the same order, and
/// resuming at a position replays the run without emitting up to it.
public struct GeneratorSimulation {
    public let settings: GeneratorSettings
    public private(set) var position = GeneratorPosition(tick: 0, stream: 0)
    public private(set) var statistics = GeneratorStatistics()
    private var xray: XrayFleet?
    private var vm: VMFleet?
    private let ticks: Int64
    private let streams: Int
    private var snapshotScratch: [XraySnapshot] = []
    private var batchScratch: [VMMetricsBatch] = []

    public init(settings: GeneratorSettings) {
        self.settings = settings
        xray = settings.generatesXray ? XrayFleet(settings: settings) : nil
        vm = settings.generatesVM ? VMFleet(settings: settings) : nil
        ticks = settings.tickCount
        streams = settings.streamsPerTick
    }

    /// True once every tick of a finite run has been stepped.
    public var isFinished: Bool { streams == 0 || position.tick >= ticks }

    /// The simulated time of the next step.
    public var currentTime: Timestamp { settings.time(ofTick: position.tick) }

    /// Runs one stream for the current tick, appending what it sends (when `emit`)
    /// to `out`, and moves to the next position. `families` limits what is appended.
    public mutating func step(
        emit: Bool = true, families: Set<GeneratorSettings.Family> = [.xray, .vm], into out: inout [GeneratedRecord]
    ) {
        guard !isFinished else { return }
        let tick = position.tick
        let isLast = tick == ticks - 1
        var stream = position.stream
        if var fleet = xray {
            if stream < fleet.nodeCount {
                xray = nil  // keep the fleet uniquely referenced while it mutates
                let emitThis = emit && families.contains(.xray)
                snapshotScratch.removeAll(keepingCapacity: true)
                fleet.step(
                    node: stream, tick: tick, isLastTick: isLast, emit: emitThis, into: &snapshotScratch,
                    stats: &statistics)
                xray = fleet
                for snapshot in snapshotScratch { out.append(.snapshot(snapshot)) }
                advance()
                return
            }
            stream -= fleet.nodeCount
        }
        if var fleet = vm {
            vm = nil
            let emitThis = emit && families.contains(.vm)
            batchScratch.removeAll(keepingCapacity: true)
            fleet.step(
                machine: stream, tick: tick, isLastTick: isLast, emit: emitThis, into: &batchScratch,
                stats: &statistics)
            vm = fleet
            for batch in batchScratch { out.append(.vmBatch(batch)) }
        }
        advance()
    }

    private mutating func advance() {
        position.stream += 1
        if position.stream >= streams {
            position.stream = 0
            position.tick += 1
        }
    }

    /// Replays the run without emitting until `target`. Throws when the position is
    /// not one this run can reach.
    public mutating func fastForward(to target: GeneratorPosition) throws(GeneratorPositionError) {
        guard target.tick >= 0, target.stream >= 0, target.stream < max(streams, 1),
            target.tick < ticks || (target.tick == ticks && target.stream == 0)
        else { throw GeneratorPositionError(position: target) }
        guard (position.tick, position.stream) <= (target.tick, target.stream) else {
            throw GeneratorPositionError(position: target)
        }
        var discard: [GeneratedRecord] = []
        while (position.tick, position.stream) < (target.tick, target.stream) {
            step(emit: false, into: &discard)
        }
    }
}

/// A cursor that does not belong to this run (another config, or corrupted).
public struct GeneratorPositionError: Error, Sendable, CustomStringConvertible {
    public var position: GeneratorPosition
    public var description: String {
        "cursor tick \(position.tick) stream \(position.stream) is outside this generator's run"
    }
}
