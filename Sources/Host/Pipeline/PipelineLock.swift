public import Core
import Synchronization

/// One process's hold on one pipeline: the leases of every sink of the
/// pipeline that offers `PipelineOwnership`, taken all or none.
///
/// Exists so a pipeline that writes to a shared ledger is written by one
/// process at a time (a second one would meter from its own in-memory
/// baselines and bill the same usage again). `run` and `collect` claim it once
/// and refuse a held pipeline; the daemon stands by and claims it again until
/// it wins. A pipeline without such a sink has nothing to lock and is always held.
public final class PipelineLock: Sendable {
    public let pipeline: String
    private let owners: [any PipelineOwnership]
    private let leases = Mutex<[any PipelineLease]>([])
    /// Set by `release` until the next successful `claim`, so `lost` can tell a release from a loss.
    private let releasedHere = Mutex(false)

    /// The lock of `pipeline` over its sinks (one claim per distinct `ownershipScope`).
    public init(pipeline: HostConfiguration.Pipeline) {
        self.pipeline = pipeline.id
        var scopes = Set<String>()
        var owners: [any PipelineOwnership] = []
        for case let owner as any PipelineOwnership in pipeline.sinks where scopes.insert(owner.ownershipScope).inserted
        {
            owners.append(owner)
        }
        self.owners = owners
    }

    /// Whether any sink needs the pipeline locked.
    public var guardsAnything: Bool { !owners.isEmpty }

    /// What one `claim` found.
    public enum Outcome: Sendable {
        case taken
        case heldElsewhere(PipelineHolder)
    }

    /// Tries once to take every lease; when one is held elsewhere, lets go of
    /// those taken and names the holder. Throws what a sink threw (storage unreachable).
    public func claim() async throws -> Outcome {
        var taken: [any PipelineLease] = []
        for owner in owners {
            let claim: PipelineClaim
            do {
                claim = try await owner.claim(pipeline: pipeline)
            } catch {
                for lease in taken { await lease.release() }
                throw error
            }
            switch claim {
            case .taken(let lease):
                taken.append(lease)
            case .heldElsewhere(let holder):
                for lease in taken { await lease.release() }
                return .heldElsewhere(holder)
            }
        }
        leases.withLock { $0 = taken }
        releasedHere.withLock { $0 = false }
        return .taken
    }

    /// Claims, and throws `PipelineHeldElsewhere` naming the holder when
    /// another process still has it after `attempts` tries `pause` apart (a
    /// holder killed a moment ago is let go by the server within moments).
    public func claimOrThrow(attempts: Int = 3, pause: Duration = .milliseconds(500)) async throws {
        var attempt = 1
        while true {
            guard case .heldElsewhere(let holder) = try await claim() else { return }
            guard attempt < attempts else { throw PipelineHeldElsewhere(pipeline: pipeline, holder: holder) }
            attempt += 1
            try await Task.sleep(for: pause)
        }
    }

    /// Whether this process may write the pipeline now: every lease claimed and none lost.
    public var isHeld: Bool {
        guard guardsAnything else { return true }
        let current = leases.withLock { $0 }
        return !current.isEmpty && current.allSatisfy(\.isHeld)
    }

    /// Returns once a lease is lost (why), after letting go of the others;
    /// `nil` when this process released the lock itself, or holds nothing.
    public func lost() async -> String? {
        let current = leases.withLock { $0 }
        guard !current.isEmpty else { return nil }
        let first = await withTaskGroup(of: String.self) { group in
            for lease in current { group.addTask { await lease.lost() } }
            let first = await group.next()
            // The other waiters end once their leases are released.
            for lease in current { await lease.release() }
            group.cancelAll()
            return first
        }
        return releasedHere.withLock { $0 } ? nil : first
    }

    /// Lets go of every lease (idempotent).
    public func release() async {
        releasedHere.withLock { $0 = true }
        let current = leases.withLock { current in
            defer { current = [] }
            return current
        }
        for lease in current { await lease.release() }
    }
}

/// A pipeline another process holds: `run` and `collect` exit 1 with this, naming the holder.
public struct PipelineHeldElsewhere: Error, Sendable, CustomStringConvertible {
    public var pipeline: String
    public var holder: PipelineHolder

    public init(pipeline: String, holder: PipelineHolder) {
        self.pipeline = pipeline
        self.holder = holder
    }

    public var description: String {
        "pipeline \(pipeline) is held by another process: \(holder); one process writes a pipeline's ledger at a "
            + "time (docs/operations.md, \"Two processes on one database\")"
    }
}
