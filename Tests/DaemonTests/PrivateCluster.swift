import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL cluster (scripts/pg-server.sh) a test may stop and
/// start without disturbing the server the other tests share.
struct PrivateCluster {
    let directory: String
    let port: Int

    static var script: String {
        if let path = ProcessInfo.processInfo.environment["BILLING_TEST_PGSERVER"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("scripts/pg-server.sh").path
    }

    static var available: Bool {
        let bin = ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb")
            && FileManager.default.isExecutableFile(atPath: script)
    }

    static func make() async throws -> PrivateCluster {
        let directory = "/tmp/billing-outage-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await run("init", directory)
        let port = try #require(
            Int(output.trimmingCharacters(in: .whitespacesAndNewlines)), "pg-server.sh init printed \(output)")
        return PrivateCluster(directory: directory, port: port)
    }

    var url: String { "postgres://billing@127.0.0.1:\(port)/postgres?sslmode=disable" }

    func stop() async throws { try await Self.run("stop", directory) }
    func start() async throws { try await Self.run("start", directory) }
    func destroy() async { _ = try? await Self.run("destroy", directory) }

    /// Runs the script with posix_spawn, reaped by waitpid on a dispatch thread
    /// (never a blocked thread of the cooperative pool).
    @discardableResult
    static func run(_ action: String, _ directory: String) async throws -> String {
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
        try #require(spawned == 0, "posix_spawn failed: \(spawned)")
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var raw: Int32 = 0
                while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }
        }
        try #require(status == 0, "pg-server.sh \(action) \(directory) exited with \(status)")
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }
}
