import ArgumentParser
import Core
import FakeExporter
import Foundation
import Logging

/// `billing-service dev`: tools for demos and local development.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Development tools (fake upstreams).",
        subcommands: [FakeExporterCommand.self])
}

/// `billing-service dev fake-exporter`: serves an xray_snapshots fixture through
/// the real exporter window API, for demos of `exporter_pull` without a real node.
struct FakeExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts[parts.count - 1]), (0...65535).contains(port) else {
            throw CommandFailure.usage("--listen must be HOST:PORT, found \"\(listen)\"")
        }
        let host = parts.dropLast().joined(separator: ":")
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw CommandFailure.usage("--tls-cert and --tls-key go together")
        }
        var token: String?
        if let tokenEnv {
            guard let value = ProcessInfo.processInfo.environment[tokenEnv], !value.isEmpty else {
                throw CommandFailure.usage("--token-env \(tokenEnv): the variable is not set or empty")
            }
            token = value
        }
        let scenario: FakeExporterScenario
        do {
            scenario = try FakeExporterScenario.load(fixture: fixture, nodeID: nodeID)
        } catch {
            throw CommandFailure.usage("--fixture: \(error)")
        }
        var server = FakeExporterServer(scenario: scenario, token: token)
        if let tlsCert, let tlsKey {
            do {
                server.tls = try FakeExporterServer.tlsConfiguration(certificateFile: tlsCert, keyFile: tlsKey)
            } catch {
                throw CommandFailure.usage("--tls-cert/--tls-key: \(error)")
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
}
