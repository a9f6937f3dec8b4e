import Core
import Testing
import YAMLConfig

@testable import Host

/// The `service:` section of plugins.yaml (the daemon's listener and tokens).
@Suite struct ServiceSettingsTests {
    func decode(_ yaml: String) throws -> (ServiceSettings?, [ConfigProblem]) {
        let root = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        let diagnostics = ConfigDiagnostics()
        let settings = ServiceSettings.decode(ConfigMap(root, path: "service", diagnostics: diagnostics))
        return (settings, diagnostics.problems)
    }

    @Test func aFullSectionDecodes() throws {
        let (settings, problems) = try decode(
            """
            listen: "0.0.0.0:3020"
            probe_listen: "127.0.0.1:3021"
            shutdown_grace: 45s
            collect_interval: 2m
            jitter_percent: 20
            tokens:
              - id: ops
                token_env: OPS_TOKEN
                scopes: [billing:admin, billing:read]
              - id: exporter
                token_file: /etc/billing/push.token
                scopes: [ingest]
            """)
        #expect(problems.isEmpty, "\(problems)")
        let s = try #require(settings)
        #expect(s.host == "0.0.0.0")
        #expect(s.port == 3020)
        #expect(s.probeHost == "127.0.0.1")
        #expect(s.probePort == 3021)
        #expect(s.shutdownGrace == .seconds(45))
        #expect(s.collectInterval == .seconds(120))
        #expect(s.jitterPercent == 20)
        #expect(s.tokens.map(\.id) == ["ops", "exporter"])
        #expect(s.tokens[0].secret == .environment("OPS_TOKEN"))
        #expect(s.tokens[0].scopes == [.admin, .read])
        #expect(s.tokens[1].secret == .file("/etc/billing/push.token"))
        #expect(s.tokens[1].scopes == [.ingest])
    }

    @Test func theDefaultsAreLoopbackAndThirtySeconds() throws {
        let (settings, problems) = try decode("{}")
        #expect(problems.isEmpty)
        #expect(settings == ServiceSettings())
        #expect(settings?.port == 3020)
        #expect(settings?.shutdownGrace == .seconds(30))
    }

    @Test func everyProblemIsReportedWithItsPathAndLine() throws {
        let (settings, problems) = try decode(
            """
            listen: localhost
            shutdown_grace: soon
            tokens:
              - id: ops
                token: hunter2
                scopes: [billing:write]
              - id: ops
                token_env: OTHER
                scopes: []
              - scopes: [ingest]
            extra: 1
            """)
        #expect(settings == nil)
        let lines = problems.map { "\($0.path):\($0.line)" }
        #expect(lines.contains("service.listen:1"))
        #expect(lines.contains("service.shutdown_grace:2"))
        #expect(lines.contains("service.tokens[0].token:5"))
        #expect(lines.contains("service.tokens[0].scopes:6"))
        #expect(lines.contains("service.tokens[1].id:7"))
        #expect(lines.contains("service.tokens[1].scopes:9"))
        #expect(lines.contains("service.tokens[2].id:10"))
        #expect(lines.contains("service.extra:11"))
        // The inline credential is refused without repeating it.
        #expect(!problems.map(\.description).joined().contains("hunter2"))
        #expect(problems.first { $0.path == "service.tokens[0].scopes" }?.message.contains("billing:read") == true)
    }

    @Test(arguments: [
        ("127.0.0.1:3020", "127.0.0.1", 3020), ("[::1]:8080", "::1", 8080), ("example.net:0", "example.net", 0),
    ])
    func addresses(text: String, host: String, port: Int) {
        let parsed = ServiceSettings.parseAddress(text)
        #expect(parsed?.0 == host)
        #expect(parsed?.1 == port)
    }

    @Test(arguments: ["3020", ":3020", "host:", "host:70000", "a b:1"])
    func badAddresses(text: String) {
        #expect(ServiceSettings.parseAddress(text) == nil)
    }
}
