import Foundation
import TestKit

/// Runs the built `billing-service` executable as a child process, as an operator would.
struct BillingServiceProcess {
    /// The executable built beside the test bundle (override with BILLING_SERVICE_BIN).
    static var executable: String { Repository.billingServiceExecutable }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion and captures the output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try ChildProcess.run(executable: executable, arguments, environment: environment)
    }

    /// Starts the process and SIGKILLs it as soon as `shouldKill()` says so
    /// (polled every 2 ms) unless it finished first. Returns true when the
    /// process exited on its own with status 0.
    ///
    /// Spawned with posix_spawn and reaped with waitpid, polling with a
    /// blocking sleep, so nothing depends on the test process's thread pool.
    static func runAndKill(
        _ arguments: [String], environment: [String: String] = [:], when shouldKill: () -> Bool
    ) throws -> Bool {
        let pid = try spawn(arguments, environment: environment, stdoutFile: "/dev/null")
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { return false }
            if shouldKill() {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return false
            }
            // A blocking sleep, on purpose: other tests block the two threads
            // of the cooperative pool with waitUntilExit, and a Task.sleep
            // continuation then resumed only after the child had finished.
            usleep(2_000)
        }
        let exitedNormally = status & 0x7f == 0
        return exitedNormally && (status >> 8) & 0xff == 0
    }

    /// A child left running (a server), its stdout going to a file.
    final class Child {
        let pid: pid_t
        let stdoutFile: String
        init(pid: pid_t, stdoutFile: String) {
            self.pid = pid
            self.stdoutFile = stdoutFile
        }
        var stdout: String { (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "" }
        /// SIGTERM, then waits for it (SIGKILL after 5 s).
        func stop() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<500 {
                if waitpid(pid, &status, WNOHANG) == pid { return }
                usleep(10_000)
            }
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// Starts the executable and returns at once; stdout goes to `stdoutFile`.
    static func start(_ arguments: [String], stdoutFile: String, environment: [String: String] = [:]) throws -> Child {
        Child(pid: try spawn(arguments, environment: environment, stdoutFile: stdoutFile), stdoutFile: stdoutFile)
    }

    static func spawn(_ arguments: [String], environment: [String: String], stdoutFile: String) throws -> pid_t {
        try ChildProcess.spawn(
            executable: executable, arguments, environment: environment, stdoutFile: stdoutFile, stderrFile: "/dev/null"
        )
    }
}

/// Child processes for tests, with posix_spawn and waitpid only.
///
/// Foundation's `Process.waitUntilExit` learns of the exit through a dispatch
/// source, which runs on the same two threads as the cooperative pool: with
/// both blocked in `waitUntilExit` (two tests at once) nobody ever hears the
/// exit and the suite hangs. A blocking `waitpid` needs no other thread.
enum ChildProcess {
    static func run(executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> BillingServiceProcess.Result
    {
        let directory = try TemporaryDirectory("child")
        defer { directory.remove() }
        let pid = try spawn(
            executable: executable, arguments, environment: environment, stdoutFile: directory.file("out"),
            stderrFile: directory.file("err"))
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return BillingServiceProcess.Result(
            status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
            stdout: (try? String(contentsOfFile: directory.file("out"), encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: directory.file("err"), encoding: .utf8)) ?? "")
    }

    /// Starts `executable` (a path, or a name looked up in PATH) with stdout and stderr to files.
    static func spawn(
        executable: String, _ arguments: [String], environment: [String: String], stdoutFile: String,
        stderrFile: String
    ) throws -> pid_t {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pid: pid_t = 0
        let spawned =
            executable.contains("/")
            ? posix_spawn(&pid, executable, &actions, nil, argv, envp)
            : posix_spawnp(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["posix_spawn": spawned]) }
        return pid
    }
}
