public import Core
public import Foundation
import Synchronization

/// A `PushContext` for unit tests of a push source's `serve`: it keeps the
/// batches submitted (and commits each as the cursor), tells a fixed time,
/// can be told to refuse or to be slow, feeds `commits()` readers by hand,
/// and lends a ledger and a price book when given. End-to-end tests use the
/// real daemon instead.
public final class TestPushContext: PushContext, Sendable {
    struct State {
        var cursor: SourceCursor?
        var batches: [ObservationBatch] = []
        var failure: PushSubmitFailure?
        /// How long `submit` takes (a slow sink).
        var delay: Duration?
    }

    let state = Mutex(State())
    public let clock: any WallClock
    public let ledger: (any UsageLedger)?
    public let pricing: (any UsagePricing)?

    public init(
        now: Timestamp = Timestamp(secondsSinceEpoch: 1_767_225_600), ledger: (any UsageLedger)? = nil,
        pricing: (any UsagePricing)? = nil
    ) {
        self.clock = FixedClock(now)
        self.ledger = ledger
        self.pricing = pricing
    }

    public var cursor: SourceCursor? { state.withLock { $0.cursor } }
    public var batches: [ObservationBatch] { state.withLock { $0.batches } }

    /// Every later `submit` fails with `failure` (nil: succeeds again).
    public func refuse(_ failure: PushSubmitFailure?) { state.withLock { $0.failure = failure } }

    /// Every later `submit` takes `delay` first (nil: none).
    public func slow(_ delay: Duration?) { state.withLock { $0.delay = delay } }

    public func submit(_ batch: ObservationBatch) async throws(PushSubmitFailure) -> PushCommit {
        if let delay = state.withLock({ $0.delay }) { try? await Task.sleep(for: delay) }
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

    /// Batches handed to `commits()` readers (`publish`).
    let live = Mutex<[AsyncStream<CommittedBatch>.Continuation]>([])

    public func commits() -> AsyncStream<CommittedBatch> {
        let (stream, continuation) = AsyncStream.makeStream(of: CommittedBatch.self)
        live.withLock { $0.append(continuation) }
        return stream
    }

    /// Hands `batch` to every `commits()` reader.
    public func publish(_ batch: CommittedBatch) { live.withLock { for c in $0 { c.yield(batch) } } }

    /// Ends every `commits()` stream.
    public func finishCommits() { live.withLock { for c in $0 { c.finish() } } }

    /// How many `commits()` streams were opened.
    public var readers: Int { live.withLock { $0.count } }

    /// Not the daemon: a source under test that calls it gets a 500.
    public func ingest(
        _ request: PushRequest, decode: @Sendable ([UInt8], SourceCursor?) throws(PushRejection) -> ObservationBatch?
    ) async -> PushResponse {
        PushResponse(status: 500)
    }
}

/// A request body read from memory, with the route's limit as the daemon applies it.
public struct BytesBody: PushRequestBody {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public func collect(upTo limit: Int) async throws(PushRejection) -> [UInt8] {
        guard bytes.count <= limit else { throw PushRejection.tooLarge(limit: limit) }
        return bytes
    }
}

extension PushRoute {
    /// The route of `routes` with `method` and `path`.
    public static func of(_ routes: [PushRoute], _ method: String, _ path: String) -> PushRoute? {
        routes.first { $0.method == method && $0.path == path }
    }
}

/// A JSON answer's top-level object (empty when the body is not one).
public func jsonObject(_ response: PushResponse) -> [String: Any] {
    guard case .bytes(let bytes) = response.body,
        let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return [:] }
    return object
}
