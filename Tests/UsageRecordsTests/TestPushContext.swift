import Core
import Foundation
import Logging
import Metrics
import Synchronization

/// A `PushContext` for unit tests of `serve`: it keeps the batches submitted
/// (and commits them as the cursor), answers with a fixed clock, and can be
/// told to refuse. End-to-end tests use the real daemon instead.
final class TestPushContext: PushContext, Sendable {
    struct State {
        var cursor: SourceCursor?
        var batches: [ObservationBatch] = []
        var failure: PushSubmitFailure?
    }

    let state = Mutex(State())
    let clock: any WallClock
    let ledger: (any UsageLedger)?

    init(now: Timestamp = Timestamp(secondsSinceEpoch: 1_767_225_600), ledger: (any UsageLedger)? = nil) {
        self.clock = FixedClock(time: now)
        self.ledger = ledger
    }

    var cursor: SourceCursor? { state.withLock { $0.cursor } }
    var batches: [ObservationBatch] { state.withLock { $0.batches } }

    func refuse(_ failure: PushSubmitFailure?) { state.withLock { $0.failure = failure } }

    func submit(_ batch: ObservationBatch) async throws(PushSubmitFailure) -> PushCommit {
        let result: Result<PushCommit, PushSubmitFailure> = state.withLock { state in
            if let failure = state.failure { return .failure(failure) }
            state.batches.append(batch)
            state.cursor = batch.cursor
            return .success(
                PushCommit(
                    sequence: UInt64(state.batches.count), samples: batch.samples,
                    observations: batch.observations.count, facts: batch.observations.count, writtenMinutes: 1,
                    replayedMinutes: 0, lateObservations: 0))
        }
        return try result.get()
    }

    func commits() -> AsyncStream<CommittedBatch> { AsyncStream { $0.finish() } }

    func ingest(
        _ request: PushRequest, decode: @Sendable ([UInt8], SourceCursor?) throws(PushRejection) -> ObservationBatch?
    ) async -> PushResponse {
        PushResponse(status: 500)
    }
}

struct FixedClock: WallClock {
    var time: Timestamp
    func now() -> Timestamp { time }
}

/// A body read from memory, with the route's limit as the daemon applies it.
struct BytesBody: PushRequestBody {
    var bytes: [UInt8]
    func collect(upTo limit: Int) async throws(PushRejection) -> [UInt8] {
        guard bytes.count <= limit else { throw PushRejection.tooLarge(limit: limit) }
        return bytes
    }
}

extension PushRoute {
    /// The route of `source` with `path`.
    static func of(_ routes: [PushRoute], _ method: String, _ path: String) -> PushRoute? {
        routes.first { $0.method == method && $0.path == path }
    }
}

/// A JSON answer's object.
func jsonObject(_ response: PushResponse) -> [String: Any] {
    guard case .bytes(let bytes) = response.body,
        let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return [:] }
    return object
}

let testContext = PluginContext(
    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), metrics: NOOPMetricsHandler.instance,
    clock: FixedClock(time: Timestamp(secondsSinceEpoch: 1_767_225_600)), baseDirectory: "/etc/billing",
    environment: { _ in nil })
