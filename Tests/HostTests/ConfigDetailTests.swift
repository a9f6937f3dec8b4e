import Core
import Foundation
import TestKit
import Testing
import YAMLConfig

@testable import Host

/// Issue 12, item 10 (the configuration parts): `validate` checks what `serve`
/// will read, and each problem is reported once, where it is.
@Suite("configuration details")
struct ConfigDetailTests {
    static func config(tokens: String) -> String {
        """
        version: 1
        sources:
          fixtures: { type: file_replay, path: x.jsonl, format: xray_snapshots }
        sinks:
          audit: { type: jsonl_audit, path: audit }
        pipelines:
          main: { sources: [fixtures], sinks: [audit] }
        service:
          tokens:
        \(tokens)
        """
    }

    static func validate(_ yaml: String, files: [String: String] = [:], environment: [String: String] = [:]) throws
        -> BillingServiceProcess.Result
    {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try yaml.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)
        for (name, text) in files { try text.write(toFile: dir.file(name), atomically: true, encoding: .utf8) }
        return try BillingServiceProcess.run(
            ["validate", "--config", dir.file("plugins.yaml")], environment: environment)
    }

    @Test("validate exits 2 naming a token whose variable is unset or whose file is missing")
    func missingTokenSource() throws {
        let yaml = Self.config(
            tokens: """
                    - { id: ops, token_env: BILLING_TEST_UNSET_TOKEN, scopes: [billing:read] }
                    - { id: pusher, token_file: pusher.token, scopes: [ingest] }
                """)
        let result = try Self.validate(yaml)
        #expect(result.status == 2, "\(result.stdout)")
        #expect(
            result.stderr.contains("service.tokens ops: environment variable BILLING_TEST_UNSET_TOKEN"),
            "\(result.stderr)")
        #expect(result.stderr.contains("service.tokens pusher: cannot read secret file"), "\(result.stderr)")
        #expect(result.stderr.contains("pusher.token"), "\(result.stderr)")
    }

    @Test("a token shorter than 16 bytes is refused by validate, naming the token and the minimum, never the value")
    func shortToken() throws {
        let yaml = Self.config(tokens: "      - { id: ops, token_env: OPS_TOKEN, scopes: [billing:read] }")
        let short = try Self.validate(yaml, environment: ["OPS_TOKEN": "x"])
        #expect(short.status == 2)
        #expect(
            short.stderr.contains("service.tokens ops: the token from env:OPS_TOKEN is 1 bytes; at least 16"),
            "\(short.stderr)")
        let fifteen = try Self.validate(yaml, environment: ["OPS_TOKEN": "abcdefghijklmno"])
        #expect(fifteen.status == 2)
        #expect(!fifteen.stderr.contains("abcdefghijklmno"))
        let good = try Self.validate(yaml, environment: ["OPS_TOKEN": "abcdefghijklmnop"])
        #expect(good.status == 0, "\(good.stderr)")
    }

    func problems(_ yaml: String) throws -> [String] {
        let node = try YAMLDocument.parse(yaml, file: "plugins.yaml")
        let context = ConfigLoaderTests().context()
        do {
            _ = try ConfigLoader(registry: .builtIn()).load(root: node, file: "plugins.yaml", context: context)
            return []
        } catch {
            return error.errors.flatMap { $0.problems.map(\.description) }
        }
    }

    static func postgresConfig(sinks: String, state: String = "{ store: postgres }") -> String {
        """
        version: 1
        state: \(state)
        sources:
          fixtures: { type: file_replay, path: x.jsonl, format: xray_snapshots }
        sinks:
        \(sinks)
        pipelines:
          main: { sources: [fixtures], sinks: [ledger] }
        """
    }

    @Test("a postgres sink with a bad option is reported there alone, not also as 'needs a sink of type postgres'")
    func postgresSinkProblemOnce() throws {
        let sinks = "  ledger: { type: postgres, database_url_env: LEDGER_URL, colour: red }"
        for state in ["{ store: postgres }", "{ store: postgres, sink: ledger }"] {
            let found = try problems(Self.postgresConfig(sinks: sinks, state: state))
            #expect(found.contains { $0.hasPrefix("sinks.ledger.colour") }, "\(found)")
            #expect(!found.contains { $0.hasPrefix("state.") }, "\(found)")
        }
    }

    @Test("state.store postgres without any postgres sink still says so")
    func noPostgresSink() throws {
        let found = try problems(Self.postgresConfig(sinks: "  ledger: { type: jsonl_audit, path: audit }"))
        #expect(
            found.contains { $0.contains("state.store") && $0.contains("needs a sink of type postgres") }, "\(found)")
    }

    @Test("validate names the line of an unterminated quote, not the end of the file")
    func unterminatedQuote() throws {
        let yaml = """
            version: 1
            sources:
              fixtures: { type: "file_replay, path: x.jsonl, format: xray_snapshots }
            sinks:
              audit: { type: jsonl_audit, path: audit }
            pipelines:
              main: { sources: [fixtures], sinks: [audit] }
            """
        let result = try Self.validate(yaml)
        #expect(result.status == 2)
        #expect(result.stderr.contains("(line 3)") || result.stderr.contains("line 3:"), "\(result.stderr)")
        #expect(result.stderr.contains("quoted scalar"), "\(result.stderr)")
    }
}
