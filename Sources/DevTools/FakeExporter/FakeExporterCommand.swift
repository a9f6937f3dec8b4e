public import ArgumentParser
import Foundation

/// `billing-service dev fake-exporter`: serves an xray_snapshots fixture through
/// the real exporter window API, for demos of `exporter_pull` without a real node.
///
/// The command lives with the tool it starts, not in Host: the flags are the
/// server's own, and Host then names no concrete target outside the registry
/// file, which lists this command among the built-in dev tools
/// (`PluginRegistry.builtInDevCommands`) so `billing-service dev` keeps its
/// place and help. It cannot see Host's `CommandFailure`, so a usage error is
/// reported as the host reports one: the message on stderr, exit code 2.
public struct FakeExporterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fake-exporter",
        abstract: "Serve an xray_snapshots fixture through GET /v1/snapshots/window (UPSTREAMS §1).")

    @Option(name: .long, help: "HOST:PORT to listen on.")
    var listen: String = "127.0.0.1:9100"

    @Option(name: .long, help: "An xray_snapshots fixture (e.g. from `billing-service generate`).")
    var fixture: String

    @Option(name: .customLong("node-id"), help: "Serve this node of the fixture (default: the first line's).")
    var nodeID: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve https.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("token-env"), help: "Require this environment variable's value as the bearer token.")
    var tokenEnv: String?

    public init() {}

    public func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts[parts.count - 1]), (0...65535).contains(port) else {
            throw Self.usage("--listen must be HOST:PORT, found \"\(listen)\"")
        }
        let host = parts.dropLast().joined(separator: ":")
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw Self.usage("--tls-cert and --tls-key go together")
        }
        var token: String?
        if let tokenEnv {
            guard let value = ProcessInfo.processInfo.environment[tokenEnv], !value.isEmpty else {
                throw Self.usage("--token-env \(tokenEnv): the variable is not set or empty")
            }
            token = value
        }
        let scenario: FakeExporterScenario
        do {
            scenario = try FakeExporterScenario.load(fixture: fixture, nodeID: nodeID)
        } catch {
            throw Self.usage("--fixture: \(error)")
        }
        var server = FakeExporterServer(scenario: scenario, token: token)
        if let tlsCert, let tlsKey {
            do {
                server.tls = try FakeExporterServer.tlsConfiguration(certificateFile: tlsCert, keyFile: tlsKey)
            } catch {
                throw Self.usage("--tls-cert/--tls-key: \(error)")
            }
        }
        let scheme = tlsCert == nil ? "http" : "https"
        let count = scenario.snapshots.count
        let node = scenario.nodeID
        try await server.run(host: host, port: port) { bound in
            // Written unbuffered: whoever started us (a script, a test) reads the bound port now, not at exit.
            FileHandle.standardOutput.write(
                Data("fake exporter: \(count) snapshots of node \(node) on \(scheme)://\(host):\(bound)\n".utf8))
        }
    }

    /// Writes `message` on stderr and returns the exit code of bad usage (2).
    static func usage(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        return ExitCode(2)
    }
}
