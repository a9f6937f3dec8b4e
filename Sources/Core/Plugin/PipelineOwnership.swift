/// A plugin whose storage must be written by one process per pipeline at a time.
///
/// Exists because metering runs from in-memory baselines: two processes
/// writing the same pipeline to one ledger would each meter from their own
/// baselines and bill the same usage twice. The host asks every sink of a
/// pipeline for this capability (no cast to a concrete type) and claims the
/// pipeline from each one before it loads state or writes anything.
public protocol PipelineOwnership: Sendable {
    /// What is locked (for example a database and schema). Two plugins with the
    /// same scope guard the same storage, and the host claims a pipeline from
    /// only one of them.
    var ownershipScope: String { get }
    /// Tries once to take `pipeline`, without waiting for another holder to let go.
    /// Throws `PluginError` when the storage cannot be reached.
    func claim(pipeline: String) async throws -> PipelineClaim
}

/// The answer to one `PipelineOwnership.claim`.
public enum PipelineClaim: Sendable {
    /// This process holds the pipeline until the lease is released or lost.
    case taken(any PipelineLease)
    /// Another process holds it.
    case heldElsewhere(PipelineHolder)
}

/// One process's hold on a pipeline; lost when the connection behind it drops.
///
/// Exists so a writer can stop at once when it may no longer be the only one:
/// after a loss another process may take the pipeline over.
public protocol PipelineLease: Sendable {
    /// Whether the lease is still held (false once lost or released).
    var isHeld: Bool { get }
    /// Returns once the lease is lost or released, with the reason.
    func lost() async -> String
    /// Lets go of the pipeline (idempotent).
    func release() async
}

/// Who holds a pipeline, as the storage reports it: enough for an operator to find the process.
public struct PipelineHolder: Sendable, Hashable, CustomStringConvertible {
    /// The holder's name for itself (`billing-service <host> pid <pid>` for ours).
    public var application: String?
    /// The storage's id of the holder's session (the PostgreSQL backend pid).
    public var session: String?
    /// Where the holder connects from, when the storage tells.
    public var client: String?
    /// When the holder took the pipeline (its lock connection's start).
    public var since: Timestamp?

    public init(application: String?, session: String?, client: String?, since: Timestamp?) {
        self.application = application
        self.session = session
        self.client = client
        self.since = since
    }

    public var description: String {
        var text = application.map { $0.isEmpty ? "an unnamed client" : $0 } ?? "an unknown process"
        var details: [String] = []
        if let session { details.append("backend pid \(session)") }
        if let client { details.append("from \(client)") }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        if let since { text += " since " + since.rfc3339(fractionalDigits: .none) }
        return text
    }
}
