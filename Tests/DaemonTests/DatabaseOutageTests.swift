import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import TestKit
import Testing

/// `serve` while its ledger database goes away and comes back, and with a
/// database that refuses it (issue 12, items 6 and 7): the real binary against
/// a private cluster this test may stop.
@Suite(
    "database outage (serve process)",
    .enabled(if: PrivateCluster.available, "needs PostgreSQL server binaries (scripts/test.sh installs them)"))
struct DatabaseOutageTests {
    static let pushToken = ServeProcessTests.pushToken

    static func config(extraService: String = "") -> String {
        """
        version: 1
        state:
          store: file
          path: var/state
        sources:
          edge_push:
            type: xray_push
            max_body_bytes: 64KiB
            initial_sync: bill_from_zero
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
            connect_timeout: 1s
            query_timeout: 2s
        pipelines:
          main:
            sources: [edge_push]
            sinks: [ledger]
        service:
          listen: 127.0.0.1:0
          push_commit_timeout: 2s
          shutdown_grace: 5s
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:admin, billing:read]
            - id: pusher
              token_file: pusher.token
              scopes: [ingest]
        \(extraService)
        """
    }

    /// One snapshot `minutesAgo` minutes before now (inside any sane age window).
    static func snapshot(minutesAgo: Int, total: UInt64) -> String {
        let now = Int(Date().timeIntervalSince1970) / 60 * 60
        let time = Date(timeIntervalSince1970: TimeInterval(now - minutesAgo * 60))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return
            #"{"collected_at":"\#(formatter.string(from: time))","node_id":"edge-1","env":"prod","samples":[{"uuid":"u-1","email":"a@example.com","inbound_tag":"","uplink_bytes_total":\#(total),"downlink_bytes_total":1}]}"#
            + "\n"
    }

    typealias Answer = HTTPAnswer

    static func call(_ method: HTTPMethod, port: Int, _ path: String, token: String? = nil, body: String? = nil)
        async throws -> Answer
    {
        try await HTTPAnswer.fetch(method, port: port, path, token: token, body: body)
    }

    static func push(port: Int, _ body: String) async throws -> Answer {
        try await call(.POST, port: port, "/v1/ingest/snapshots", token: pushToken, body: body)
    }

    /// Polls `path` until it answers `status`; how long that took, nil if not within `limit`.
    static func time(until status: Int, port: Int, _ path: String, within limit: Duration) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if let answer = try? await call(.GET, port: port, path), answer.status == status {
                return ContinuousClock.now - start
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    func directory(config: String) throws -> String {
        let dir = try DaemonHarness.temporaryDirectory()
        try config.write(toFile: dir + "/plugins.yaml", atomically: true, encoding: .utf8)
        try (Self.pushToken + "\n").write(toFile: dir + "/pusher.token", atomically: true, encoding: .utf8)
        return dir
    }

    func serve(_ dir: String, url: String) throws -> ServeProcessTests.Child {
        try ServeProcessTests.Child(
            arguments: ["serve", "--config", dir + "/plugins.yaml"],
            environment: ["OPS_TOKEN": ServeProcessTests.opsToken, "LEDGER_URL": url])
    }

    func migrate(_ url: String) async throws {
        let child = try ServeProcessTests.Child(arguments: ["migrate", "--database-url", url], environment: [:])
        let status = await child.exit.value
        try #require(status == 0, "migrate: \(child.text)")
    }

    @Test(
        "an outage: /readyz 503 within 2 s, every push 503 + Retry-After within push_commit_timeout, recovery, clean SIGTERM",
        .timeLimit(.minutes(2)))
    func outageAndRecovery() async throws {
        let cluster = try await PrivateCluster.make("outage")
        defer { Task { await cluster.destroy() } }
        try await migrate(cluster.url)
        let dir = try directory(config: Self.config())
        let child = try serve(dir, url: cluster.url)
        defer { child.killIfRunning() }
        let port = try await child.port()
        #expect(await Self.time(until: 200, port: port, "/readyz", within: .seconds(10)) != nil, "\(child.text)")
        let first = try await Self.push(port: port, Self.snapshot(minutesAgo: 30, total: 1_000))
        #expect(first.status == 200, "\(first.body)")

        try await cluster.stop()
        let notReady = await Self.time(until: 503, port: port, "/readyz", within: .seconds(5))
        #expect(notReady != nil && notReady! < .milliseconds(2_500), "\(String(describing: notReady))")

        // Not only the first push: each one is answered within the commit wait.
        for (index, minutesAgo) in [29, 28, 27].enumerated() {
            let start = ContinuousClock.now
            let answer = try await Self.push(port: port, Self.snapshot(minutesAgo: minutesAgo, total: 2_000))
            let took = ContinuousClock.now - start
            #expect(answer.status == 503, "push \(index): \(answer.body)")
            #expect(answer.retryAfter.flatMap(Int.init) ?? 0 > 0, "push \(index): no Retry-After")
            #expect(took < .milliseconds(3_500), "push \(index) took \(took)")
        }

        try await cluster.start()
        #expect(await Self.time(until: 200, port: port, "/readyz", within: .seconds(20)) != nil, "\(child.text)")
        // The pipeline recovers from the failed batches; the same body is then accepted.
        var accepted: Answer?
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let answer = try await Self.push(port: port, Self.snapshot(minutesAgo: 27, total: 2_000))
            if answer.status == 200 {
                accepted = answer
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(accepted != nil, "\(child.text)")

        let health = try await Self.call(.GET, port: port, "/healthz")
        #expect(health.status == 200, "\(health.body)")
        let start = ContinuousClock.now
        kill(child.process.processIdentifier, SIGTERM)
        let status = await child.exit.value
        #expect(status == 0, "\(child.text)")
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(!child.text.contains("Cancellation took longer"))
    }

    @Test(
        "SIGTERM while a batch waits on a dead database exits within shutdown_grace, never a cancellation crash",
        .timeLimit(.minutes(2)))
    func shutdownDuringOutage() async throws {
        let cluster = try await PrivateCluster.make("outage")
        defer { Task { await cluster.destroy() } }
        try await migrate(cluster.url)
        let dir = try directory(
            config: Self.config().replacingOccurrences(of: "shutdown_grace: 5s", with: "shutdown_grace: 2s"))
        let child = try serve(dir, url: cluster.url)
        defer { child.killIfRunning() }
        let port = try await child.port()
        #expect(await Self.time(until: 200, port: port, "/readyz", within: .seconds(10)) != nil, "\(child.text)")
        try await cluster.stop()
        // The push's batch is left retrying against the dead server.
        let answer = try await Self.push(port: port, Self.snapshot(minutesAgo: 20, total: 500))
        #expect(answer.status == 503, "\(answer.body)")
        let start = ContinuousClock.now
        kill(child.process.processIdentifier, SIGTERM)
        let status = await child.exit.value
        let took = ContinuousClock.now - start
        // 0 when the drain finished, 1 when the grace period cut it off; no signal, no trap.
        #expect(status == 0 || status == 1, "\(status): \(child.text)")
        #expect(took < .seconds(4), "\(took)")
        #expect(!child.text.contains("Cancellation took longer"), "\(child.text)")
    }

    @Test("a pipeline whose database is down at start makes /healthz degraded, naming it", .timeLimit(.minutes(1)))
    func cannotStart() async throws {
        let cluster = try await PrivateCluster.make("outage")
        defer { Task { await cluster.destroy() } }
        try await cluster.stop()
        let dir = try directory(config: Self.config())
        let child = try serve(dir, url: cluster.url)
        defer { child.killIfRunning() }
        let port = try await child.port()
        #expect(await Self.time(until: 503, port: port, "/healthz", within: .seconds(8)) != nil, "\(child.text)")
        let health = try await Self.call(.GET, port: port, "/healthz")
        #expect(health.body.contains("pipeline main cannot start"), "\(health.body)")
        let ready = try await Self.call(.GET, port: port, "/readyz")
        #expect(ready.status == 503, "\(ready.body)")
        kill(child.process.processIdentifier, SIGTERM)
        let status = await child.exit.value
        #expect(status == 0 || status == 1, "\(child.text)")
    }
}

/// `serve`, `run` and `migrate` against a database that refuses the
/// connection for good: exit 1 at once with one line naming the cause.
@Suite("database refusal (processes)")
struct DatabaseRefusalTests {
    static func refusedURL(user: String? = nil, database: String? = nil) throws -> String {
        let admin = try TestDatabase.serverURL()
        var components = try #require(URLComponents(string: admin))
        if let user { components.user = user }
        if let database { components.path = "/" + database }
        return try #require(components.string)
    }

    @Test(
        "an unknown role (28000) or database (3D000): serve, run and migrate exit 1 naming it",
        arguments: [
            ("28000", "no_such_role_h2" as String?, nil as String?),
            ("3D000", nil as String?, "no_such_database_h2" as String?),
        ])
    func refused(state: String, user: String?, database: String?) async throws {
        let url = try Self.refusedURL(user: user, database: database)
        let dir = try DaemonHarness.temporaryDirectory()
        try DatabaseOutageTests.config().write(toFile: dir + "/plugins.yaml", atomically: true, encoding: .utf8)
        try (ServeProcessTests.pushToken + "\n").write(
            toFile: dir + "/pusher.token", atomically: true, encoding: .utf8)
        let environment = ["OPS_TOKEN": ServeProcessTests.opsToken, "LEDGER_URL": url]
        for arguments in [
            ["serve", "--config", dir + "/plugins.yaml"], ["run", "--config", dir + "/plugins.yaml"],
            ["migrate", "--database-url", url],
        ] {
            let start = ContinuousClock.now
            let child = try ServeProcessTests.Child(arguments: arguments, environment: environment)
            defer { child.killIfRunning() }
            let status = await child.exit.value
            #expect(status == 1, "\(arguments[0]): \(child.text)")
            #expect(ContinuousClock.now - start < .seconds(8), "\(arguments[0])")
            let last = child.text.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.contains("SQLSTATE \(state)"), "\(arguments[0]): \(child.text)")
            #expect(last.contains("retrying cannot help"), "\(arguments[0]): \(last)")
            #expect(!child.text.contains("is the server up"), "\(arguments[0]): \(child.text)")
        }
    }
}
