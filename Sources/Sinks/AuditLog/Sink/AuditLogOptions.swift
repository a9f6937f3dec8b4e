/// The validated settings of one `jsonl_audit` sink (see README.md for the YAML keys).
public struct AuditLogOptions: Hashable, Sendable {
    /// The directory holding the `audit-*.jsonl` files (resolved, absolute or relative to the working directory).
    public var directory: String
    /// A file is closed and a new one started before the first batch written once
    /// it holds this many bytes (batches are never split, so a file can exceed it by one batch).
    public var rotateBytes: Int64
    /// fsync every batch (and the directory on file creation) before acknowledging.
    /// `false` only for tests and benchmarks: a crash may then lose acknowledged lines.
    public var fsync: Bool

    public static let defaultRotateBytes: Int64 = 256 << 20
    /// The smallest `rotate_bytes` accepted (tests use tiny files to exercise rotation).
    public static let minimumRotateBytes: Int64 = 1024

    public init(directory: String, rotateBytes: Int64 = Self.defaultRotateBytes, fsync: Bool = true) {
        self.directory = directory
        self.rotateBytes = rotateBytes
        self.fsync = fsync
    }
}
