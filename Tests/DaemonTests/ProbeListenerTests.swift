import Foundation
import Testing

@testable import Daemon

@Suite("separate probe listener")
struct ProbeListenerTests {
    static let config = PushIngestTests.config.replacingOccurrences(
        of: "  listen: 127.0.0.1:0\n", with: "  listen: 127.0.0.1:0\n  probe_listen: 127.0.0.1:0\n")

    @Test("with probe_listen, /healthz, /readyz and /metrics move there and the API keeps the rest")
    func split() async throws {
        #expect(Self.config.contains("probe_listen"))
        try await DaemonHarness.run(
            config: Self.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let probes = try #require(d.probePort)
            #expect(probes != d.port)
            for path in ["/healthz", "/readyz", "/metrics"] {
                #expect(try await d.request("GET", path, port: probes).status == 200, "\(path)")
                #expect(try await d.request("GET", path).status == 404, "\(path) on the API listener")
            }
            #expect(try await d.request("GET", "/v1/status", token: "ops-secret-7f3a-2c9d").status == 200)
            #expect(try await d.request("GET", "/v1/status", token: "ops-secret-7f3a-2c9d", port: probes).status == 404)
        }
    }
}
