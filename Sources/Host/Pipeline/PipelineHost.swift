public import Core
import Logging
public import Rating

/// Runs every pipeline of a configuration concurrently with the configured state store.
public struct PipelineHost: Sendable {
    /// A pipeline that stopped with an error.
    public struct Failure: Error, Sendable {
        public var pipeline: String
        public var message: String
    }

    public var configuration: HostConfiguration
    public var context: PluginContext
    public var progress: ProgressReporter?

    public init(configuration: HostConfiguration, context: PluginContext, progress: ProgressReporter? = nil) {
        self.configuration = configuration
        self.context = context
        self.progress = progress
    }

    /// The state store of one pipeline: the shared file store, or the store the
    /// configured state sink provides (`StateStoreProvider`: it then commits each
    /// batch's state in the same transaction as its facts).
    public func makeStateStore(for pipeline: HostConfiguration.Pipeline, fileStore: FileStateStore?) throws
        -> any PipelineStateStore
    {
        switch configuration.state {
        case .file:
            guard let fileStore else { throw StateStoreError(message: "no file state store configured") }
            return fileStore
        case .sink(let sinkID, let type):
            guard let sink = pipeline.sinks.first(where: { $0.id == sinkID }) as? any StateStoreProvider else {
                throw StateStoreError(
                    message: "state.store is \(type) but pipeline \(pipeline.id) has no \(type) sink \(sinkID)")
            }
            return try sink.pipelineStateStore(for: pipeline.id)
        }
    }

    /// Runs all pipelines to completion (finite sources) and reports each one's outcome.
    public func runAll() async -> [Result<PipelineSummary, Failure>] {
        var fileStore: FileStateStore?
        if case .file(let path) = configuration.state { fileStore = FileStateStore(directory: path) }
        let rater = configuration.pricing.map { Rater(catalog: $0) }
        let results = await withTaskGroup(of: (Int, Result<PipelineSummary, Failure>).self) { group in
            for (index, pipeline) in configuration.pipelines.enumerated() {
                let store: any PipelineStateStore
                do {
                    store = try makeStateStore(for: pipeline, fileStore: fileStore)
                } catch {
                    group.addTask { (index, .failure(Failure(pipeline: pipeline.id, message: "\(error)"))) }
                    continue
                }
                let engine = PipelineEngine.finite(
                    pipeline: pipeline, store: store, rater: rater, clock: context.clock, logger: context.logger)
                let progress = progress
                group.addTask {
                    do {
                        return (index, .success(try await engine.runToEnd(progress: progress)))
                    } catch {
                        return (index, .failure(Failure(pipeline: pipeline.id, message: "\(error)")))
                    }
                }
            }
            var collected: [(Int, Result<PipelineSummary, Failure>)] = []
            for await result in group { collected.append(result) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        await progress?.finish()
        return results
    }
}
