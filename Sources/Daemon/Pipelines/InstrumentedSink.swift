import Core

/// Wraps a sink to time its writes and count its errors per sink id; the
/// write itself is the wrapped sink's, unchanged.
struct InstrumentedSink: FactSink {
    let base: any FactSink
    let metrics: DaemonMetrics

    var id: String { base.id }

    func open(pipeline: String, lastCommittedSequence: UInt64) async throws {
        try await base.open(pipeline: pipeline, lastCommittedSequence: lastCommittedSequence)
    }

    func write(_ batch: FactBatch) async throws {
        let start = ContinuousClock.now
        do {
            try await base.write(batch)
            metrics.sinkWrite(sink: id, nanoseconds: (ContinuousClock.now - start).totalNanoseconds, failed: false)
        } catch {
            metrics.sinkWrite(sink: id, nanoseconds: (ContinuousClock.now - start).totalNanoseconds, failed: true)
            throw error
        }
    }

    func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {
        try await base.rollBack(pipeline: pipeline, toCommitted: lastCommittedSequence)
    }

    func close() async throws { try await base.close() }
}
