import Dispatch
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL cluster (scripts/pg-server.sh) a test may stop, crash
/// and start without disturbing the server the other tests share.
public struct PrivateCluster: Sendable {
    public let directory: String
    public let port: Int

    /// The script: `BILLING_TEST_PGSERVER` when scripts/test.sh set it, else the repository's.
    public static var script: String {
        if let path = ProcessInfo.processInfo.environment["BILLING_TEST_PGSERVER"] { return path }
        return Repository.path("scripts/pg-server.sh")
    }

    /// Whether the server binaries and the script are there (scripts/test.sh installs them).
    public static var available: Bool {
        let bin = ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb")
            && FileManager.default.isExecutableFile(atPath: script)
    }

    /// Makes and starts a cluster in `/tmp/billing-<label>-<random>`.
    public static func make(_ label: String) async throws -> PrivateCluster {
        let directory = "/tmp/billing-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await run("init", directory)
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestKitError("pg-server.sh init printed \(output), not a port")
        }
        return PrivateCluster(directory: directory, port: port)
    }

    /// The `postgres` database of the cluster, as the `billing` superuser.
    public var url: String { "postgres://billing@127.0.0.1:\(port)/postgres?sslmode=disable" }

    /// A clean shutdown.
    public func stop() async throws { try await Self.run("stop", directory) }
    /// SIGKILL of the server, as a crash.
    public func crash() async throws { try await Self.run("crash", directory) }
    public func start() async throws { try await Self.run("start", directory) }
    public func destroy() async { _ = try? await Self.run("destroy", directory) }

    /// Runs the script with posix_spawn and reaps it with waitpid on a dispatch
    /// thread: Foundation's `Process` never saw these children exit inside the test
    /// process (they stayed zombies), and blocking a concurrency thread starves the pool.
    @discardableResult
    public static func run(_ action: String, _ directory: String) async throws -> String {
        let outputPath = NSTemporaryDirectory() + "pg-server-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let arguments = ["/bin/bash", script, action, directory]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ)
        guard spawned == 0 else { throw TestKitError("posix_spawn of pg-server.sh \(action) failed: \(spawned)") }
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var raw: Int32 = 0
                while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
                // WEXITSTATUS: bits 8-15 when the child exited normally (low 7 bits zero).
                continuation.resume(returning: raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }
        }
        guard status == 0 else { throw TestKitError("pg-server.sh \(action) \(directory) exited with \(status)") }
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }
}
