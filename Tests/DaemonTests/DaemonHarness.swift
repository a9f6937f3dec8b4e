import AsyncHTTPClient
import Core
import Foundation
import Host
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Synchronization
import TestKit

@testable import Daemon

/// Runs a real daemon (service group, HTTP on a free loopback port) from a
/// plugins.yaml written to a temporary directory, for the duration of a test.
struct DaemonHarness {
    let directory: String
    let port: Int
    /// The port of `service.probe_listen`, when configured.
    let probePort: Int?
    let daemon: BillingDaemon
    let client: HTTPClient

    struct Reply {
        var status: Int
        var body: String
        var headers: [(String, String)]

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// A fresh directory for one daemon's config and state (kept after the test, for a post-mortem).
    static func temporaryDirectory() throws -> String { try TemporaryDirectory("daemon-test").path }

    /// Starts the daemon, waits until every pipeline is ready, runs `body`, then
    /// shuts the daemon down gracefully (as SIGTERM would) and waits for it.
    static func run<T: Sendable>(
        config yaml: String, files: [String: String] = [:], environment: [String: String] = [:],
        directory: String? = nil, _ body: @Sendable (DaemonHarness) async throws -> T
    ) async throws -> T {
        let directory = try directory ?? temporaryDirectory()
        try yaml.write(toFile: directory + "/plugins.yaml", atomically: true, encoding: .utf8)
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        let logger = Logger(label: "daemon-test") { _ in SwiftLogNoOpLogHandler() }
        let registry = PrometheusCollectorRegistry()
        let context = PluginContext.testing(
            clock: SystemClock(), baseDirectory: directory, environment: environment, logger: logger,
            metrics: PrometheusMetricsFactory(registry: registry))
        let configuration = try ConfigLoader(registry: .builtIn()).load(
            file: directory + "/plugins.yaml", context: context)
        let daemon = try BillingDaemon(
            configuration: configuration, context: context, registry: registry, logger: logger)
        let (ports, portSink) = AsyncStream.makeStream(of: (BillingDaemon.Listener, Int).self)
        let group = daemon.serviceGroup(signals: false) { listener, port in portSink.yield((listener, port)) }
        let wantsProbes = daemon.settings.probePort != nil
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound: [BillingDaemon.Listener: Int] = [:]
            for await (listener, port) in ports {
                bound[listener] = port
                if bound[.api] != nil, !wantsProbes || bound[.probes] != nil { break }
            }
            guard let port = bound[.api] else { throw HarnessError(message: "the daemon did not listen") }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let harness = DaemonHarness(
                directory: directory, port: port, probePort: bound[.probes], daemon: daemon, client: client)
            do {
                try await harness.waitUntilReady()
                let result = try await body(harness)
                try await client.shutdown()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    func waitUntilReady() async throws {
        for _ in 0..<500 {
            if daemon.roster.engines.allSatisfy(\.isReady) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError(message: "pipelines not ready after 5 s")
    }

    func request(
        _ method: String, _ path: String, token: String? = nil, body: String? = nil, port: Int? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? self.port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(
            status: Int(response.status.code), body: String(buffer: bytes),
            headers: response.headers.map { ($0.name, $0.value) })
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Snapshot bodies: one compact line per snapshot at `minute` past 2026-01-01T00:00Z.
enum Snapshots {
    static func line(minute: Int, up: UInt64, down: UInt64, uuid: String = "u-1") -> String {
        let time = String(format: "2026-01-01T00:%02d:00Z", minute)
        return
            #"{"collected_at":"\#(time)","node_id":"edge-1","env":"prod","samples":[{"uuid":"\#(uuid)","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(up),"downlink_bytes_total":\#(down)}]}"#
    }
}
