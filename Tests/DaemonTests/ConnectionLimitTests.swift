import Foundation
import Testing

@testable import Daemon

/// Header, body and idle deadlines and the connection cap of `service:`
/// (issue 12, item 5), through a real daemon on loopback with short timeouts.
@Suite("connections cannot be held open")
struct ConnectionLimitTests {
    static func config(maxConnections: Int = 512) -> String {
        PushIngestTests.config + """

              header_timeout: 1s
              body_timeout: 2s
              idle_timeout: 3s
              max_connections: \(maxConnections)

            """
    }

    static let halfHead = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"

    @Test("over max_connections a connection gets 503 with a JSON body and Connection: close at once")
    func capRefusesClearly() async throws {
        try await DaemonHarness.run(
            config: Self.config(maxConnections: 4), files: PushIngestTests.files,
            environment: PushIngestTests.environment
        ) { d in
            // Four unauthenticated requests stop halfway through their heads.
            var stalled: [RawHTTPConnection] = []
            for _ in 0..<4 {
                let connection = try RawHTTPConnection(port: d.port)
                connection.send(Self.halfHead)
                stalled.append(connection)
            }
            try await Task.sleep(for: .milliseconds(100))
            let extra = try RawHTTPConnection(port: d.port)
            extra.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let refused = await extra.read(timeout: .seconds(2))
            #expect(refused.text.hasPrefix("HTTP/1.1 503"), "\(refused.text)")
            #expect(refused.text.lowercased().contains("connection: close"), "\(refused.text)")
            #expect(refused.text.lowercased().contains("retry-after: 1"), "\(refused.text)")
            #expect(refused.text.contains(#""code":"too_many_connections""#), "\(refused.text)")
            #expect(refused.text.contains("max_connections"), "\(refused.text)")
            #expect(refused.closed, "the refused connection is closed")

            // Once their header timeout (1 s) passed, the stalled ones are closed
            // and /healthz and a push are served again.
            for connection in stalled {
                let read = await connection.read(timeout: .seconds(4))
                #expect(read.closed)
                if let after = read.closedAfter {
                    #expect(after >= .milliseconds(900) && after < .seconds(3), "\(after)")
                }
            }
            #expect(try await d.request("GET", "/healthz").status == 200)
            let push = try await d.request(
                "POST", "/v1/ingest/snapshots", token: "push-secret-91bc", body: PushIngestTests.body)
            #expect(push.status == 200, "\(push.body)")
            let metrics = try await d.request("GET", "/metrics").body.split(separator: "\n")
            func closed(_ reason: String) -> String? {
                metrics.first {
                    $0.hasPrefix("billing_http_connections_closed_total{") && $0.contains(#"reason="\#(reason)""#)
                        && $0.contains(#"listener="api""#)
                }?.split(separator: " ").last.map(String.init)
            }
            #expect(closed("max_connections") == "1", "\(metrics)")
            #expect(closed("header_timeout") == "4", "\(metrics)")
        }
    }

    @Test("a stalled request head is closed after header_timeout")
    func stalledHeader() async throws {
        try await DaemonHarness.run(
            config: Self.config(), files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let silent = try RawHTTPConnection(port: d.port)
            let half = try RawHTTPConnection(port: d.port)
            half.send(Self.halfHead)
            for connection in [silent, half] {
                let read = await connection.read(timeout: .seconds(4))
                #expect(read.closed)
                let after = try #require(read.closedAfter)
                #expect(after >= .milliseconds(900) && after < .milliseconds(2_500), "\(after)")
                #expect(read.text.isEmpty, "\(read.text)")
            }
        }
    }

    @Test("a body that stalls, or trickles a byte at a time, is closed after body_timeout")
    func stalledBody() async throws {
        try await DaemonHarness.run(
            config: Self.config(), files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let head =
                "POST /v1/ingest/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer push-secret-91bc\r\n"
                + "Content-Type: application/x-ndjson\r\nContent-Length: 4000\r\n\r\n{\"collected_at\":"
            let stalled = try RawHTTPConnection(port: d.port)
            let trickled = try RawHTTPConnection(port: d.port)
            stalled.send(head)
            trickled.send(head)
            // A byte every 200 ms keeps a per-read idle timer from ever firing.
            let trickling = Task {
                for _ in 0..<30 {
                    try await Task.sleep(for: .milliseconds(200))
                    if !trickled.send(" ") { return }
                }
            }
            defer { trickling.cancel() }
            for connection in [stalled, trickled] {
                let read = await connection.read(timeout: .seconds(5))
                #expect(read.closed)
                let after = try #require(read.closedAfter)
                #expect(after >= .milliseconds(1_900) && after < .milliseconds(3_500), "\(after)")
            }
            // Nothing of the cut bodies was applied.
            let status = try await d.request("GET", "/v1/status", token: "ops-secret-7f3a-2c9d")
            let sources = try #require(status.json["sources"] as? [[String: Any]])
            #expect(sources.first?["cursor"] is NSNull, "\(status.body)")
        }
    }

    @Test("a kept-alive connection serves a request after a pause longer than header_timeout, then idles out")
    func keepAliveIdle() async throws {
        try await DaemonHarness.run(
            config: Self.config(), files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let connection = try RawHTTPConnection(port: d.port)
            connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let first = await connection.readResponse()
            #expect(first.text.hasPrefix("HTTP/1.1 200"), "\(first.text)")
            #expect(!first.closed)
            // 1.5 s idle: past header_timeout (1 s), within idle_timeout (3 s).
            try await Task.sleep(for: .milliseconds(1_500))
            let pausedAt = ContinuousClock.now - connection.opened
            connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let second = await connection.readResponse()
            #expect(second.text.hasPrefix("HTTP/1.1 200"), "\(second.text)")
            #expect(!second.closed)
            let idle = await connection.read(timeout: .seconds(5))
            #expect(idle.closed)
            let after = try #require(idle.closedAfter)
            #expect(after - pausedAt >= .milliseconds(2_800) && after - pausedAt < .seconds(5), "\(after)")
        }
    }
}
