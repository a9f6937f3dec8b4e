import Core
import FakeExporter
import Foundation
import Host
import TestKit
import Testing

@testable import ExporterPull

@Suite("exporter_pull over TLS (certificates made at test time)")
struct TLSTests {
    /// Serves the scenario over TLS with `serverCert`, optionally requiring a client
    /// certificate signed by `ca.pem`; pulls once, then returns the failure (or nil).
    static func pull(
        pki: TestPKI, serverCert: String, requireClientCert: Bool = false, caFile: String? = "ca",
        clientCert: String? = nil
    ) async throws -> (failure: String?, cursor: Timestamp?) {
        var server = Scenario.fake(minutes: 30)
        server.tls = try FakeExporterServer.tlsConfiguration(
            certificateFile: pki.path(serverCert + ".pem"), keyFile: pki.path(serverCert + ".key"),
            trustedClientCAFile: requireClientCert ? pki.path("ca.pem") : nil)
        return try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start)) {
                $0.baseURL = "https://localhost:\(port)"
                $0.allowInsecureHTTP = false
                $0.caFile = caFile.map { pki.path($0 + ".pem") }
                $0.clientCertFile = clientCert.map { pki.path($0 + ".pem") }
                $0.clientKeyFile = clientCert.map { pki.path($0 + ".key") }
                $0.timeout = .seconds(3)
                $0.attempts = 1
            }
            let summary = try await harness.collect(at: Scenario.at(minutes: 60))
            return (summary.failures["edge"], try await harness.cursor())
        }
    }

    @Test("a trusted server certificate with the right hostname works; mTLS with the right client certificate works")
    func valid() async throws {
        let pki = try TestPKI.standard()
        defer { pki.remove() }
        let plain = try await Self.pull(pki: pki, serverCert: "server")
        #expect(plain.failure == nil)
        #expect(plain.cursor == Scenario.at(minutes: 59))
        let mutual = try await Self.pull(pki: pki, serverCert: "server", requireClientCert: true, clientCert: "client")
        #expect(mutual.failure == nil)
        #expect(mutual.cursor == Scenario.at(minutes: 59))
    }

    @Test(
        "refused TLS leaves the cursor unset and names the source",
        arguments: [
            ("unknown CA", "server", false, "other-ca", nil as String?),
            ("system roots only", "server", false, nil, nil),
            ("wrong hostname", "wrong-host", false, "ca", nil),
            ("expired certificate", "expired", false, "ca", nil),
            ("missing client certificate", "server", true, "ca", nil),
            ("client certificate from another CA", "server", true, "ca", "stranger"),
        ] as [(String, String, Bool, String?, String?)])
    func refused(name: String, serverCert: String, requireClient: Bool, caFile: String?, clientCert: String?)
        async throws
    {
        let pki = try TestPKI.standard()
        defer { pki.remove() }
        let result = try await Self.pull(
            pki: pki, serverCert: serverCert, requireClientCert: requireClient, caFile: caFile,
            clientCert: clientCert)
        let failure = try #require(result.failure, "\(name) was accepted")
        #expect(failure.contains("sources.edge"))
        #expect(!failure.contains("s3cret"))
        #expect(result.cursor == nil)
        #expect(failure.contains("TLS failure"), "\(name): \(failure)")
    }
}
