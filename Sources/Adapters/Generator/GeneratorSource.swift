public import Core

/// A `generator` source: the simulated upstreams of `GeneratorSettings`, run in
/// simulated time as fast as the pipeline takes them.
///
/// Exists so benchmarks, the crash test and demos need no external service, and
/// so `billing-service generate` can write the very same load as fixture files.
public struct GeneratorSource: ObservationSource {
    public let id: String
    public let metering: MeteringOptions
    public let settings: GeneratorSettings
    /// What `metering.window` is checked against; `nil`: no window check.
    public let clock: (any WallClock)?

    public init(
        id: String, settings: GeneratorSettings, metering: MeteringOptions = MeteringOptions(),
        clock: (any WallClock)? = nil
    ) {
        self.id = id
        self.settings = settings
        self.metering = metering
        self.clock = clock
    }

    /// `sources.<id>`, for errors.
    public var component: String { "sources.\(id)" }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        try reader(from: cursor)
    }

    /// The concrete reader (the benchmark drives it without an existential).
    public func reader(from cursor: SourceCursor?) throws -> GeneratorReader {
        var simulation = GeneratorSimulation(settings: settings)
        if let cursor {
            let position: GeneratorPosition
            do {
                position = try cursor.decode(as: GeneratorPosition.self)
            } catch {
                throw PluginError(.permanent, component: component, "cannot read cursor \(cursor): \(error)")
            }
            do {
                try simulation.fastForward(to: position)
            } catch {
                throw PluginError(.permanent, component: component, error.description)
            }
        }
        var reader = GeneratorReader(source: id, simulation: simulation)
        if let clock, metering.window.isBounded { reader.window = (metering.window, clock) }
        return reader
    }
}

/// Reads a generator run batch by batch; a batch ends on a record boundary once it
/// holds `batch_size` observations. Finite runs end with `nil`.
public struct GeneratorReader: ObservationReader {
    public let source: String
    public private(set) var simulation: GeneratorSimulation
    private var records: [GeneratedRecord] = []
    /// Set when the source has a bounded clock window: a batch with an
    /// observation outside it ends the run with a permanent error.
    var window: (ObservationWindow, any WallClock)?

    init(source: String, simulation: GeneratorSimulation) {
        self.source = source
        self.simulation = simulation
    }

    public mutating func next() async throws -> ObservationBatch? {
        try nextBatch()
    }

    /// The synchronous body of `next()`.
    public mutating func nextBatch() throws -> ObservationBatch? {
        guard !simulation.isFinished else { return nil }
        let limit = simulation.settings.batchSize
        var observations: [Observation] = []
        observations.reserveCapacity(limit + 64)
        var steps = 0
        var lastTime = simulation.currentTime
        // Bounded by steps too, so streams that send nothing cannot hold a batch open forever.
        while !simulation.isFinished, observations.count < limit, steps < max(limit, 1024) {
            lastTime = simulation.currentTime
            records.removeAll(keepingCapacity: true)
            simulation.step(into: &records)
            for record in records { record.appendObservations(source: source, to: &observations) }
            steps += 1
        }
        if let (window, clock) = window,
            let (_, violation) = window.firstViolation(in: observations, now: clock.now())
        {
            throw PluginError(
                .permanent, component: "sources.\(source)",
                "generated timestamp \(violation) (set start, or max_future_skew/max_age: none)")
        }
        let cursor: SourceCursor
        do {
            cursor = try SourceCursor(encoding: simulation.position)
        } catch {
            throw PluginError(.permanent, component: "sources.\(source)", "cannot encode cursor: \(error)")
        }
        return ObservationBatch(
            observations: observations, cursor: cursor,
            position: "\(lastTime.rfc3339()) (tick \(simulation.position.tick))")
    }
}
