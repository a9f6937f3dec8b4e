import Foundation
import TestKit
import Testing

/// schemathesis (property-based HTTP tests generated from docs/openapi.yaml)
/// against a running daemon with an `xray_push` source and a real PostgreSQL
/// ledger: no answer may be a 5xx, and every answer must match the document.
///
/// Needs the virtual environment scripts/python-env.sh makes; scripts/test.sh
/// exports its path as BILLING_TEST_VENV. Bounded by `--max-examples` per
/// operation (well under a minute in all).
@Suite("schemathesis over docs/openapi.yaml", .serialized)
struct SchemathesisTests {
    static let venv = ProcessInfo.processInfo.environment["BILLING_TEST_VENV"]
    static let token = "schemathesis-token-5d1e"

    /// One token with every scope, so generated requests reach every handler.
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          edge_push:
            type: xray_push
            max_age: none  # the test snapshots are from January 2026 (clock window, issue 12)
            initial_sync: bill_from_zero
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [edge_push]
            sinks: [ledger]
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: everything
              token_env: ALL_TOKEN
              scopes: [billing:read, billing:admin, ingest]
        """

    /// The checks that hold today (the others are reported in issue 12's notes);
    /// BILLING_SCHEMATHESIS_CHECKS (comma-separated, or `all`) tries others.
    static let checks =
        ProcessInfo.processInfo.environment["BILLING_SCHEMATHESIS_CHECKS"]
        ?? "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

    @Test(
        "generated requests get no 5xx and conforming answers",
        .enabled(if: venv != nil, "BILLING_TEST_VENV is not set: run the tests with scripts/test.sh"),
        .timeLimit(.minutes(3)))
    func conformance() async throws {
        let venv = try #require(Self.venv)
        let spec = OpenAPITests.file
        try await UsageTests.withLedger("schemathesis") { database in
            let environment = ["LEDGER_URL": database.url, "ALL_TOKEN": Self.token]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let arguments = [
                    "run", spec, "--url", "http://127.0.0.1:\(d.port)", "-H", "Authorization: Bearer \(Self.token)",
                    "--checks", Self.checks, "--max-examples", "150", "--seed", "12",
                    "--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "20",
                    "--no-color", "--output-truncate", "true",
                ]
                let (status, output) = try await Self.execute(venv + "/bin/schemathesis", arguments)
                #expect(status == 0, "schemathesis exited \(status):\n\(output)")
                // It ran: the summary's `N generated, N passed`, with enough cases to mean something.
                let counts = output.firstMatch(of: /(\d+) generated, (\d+) passed/)
                let generated = counts.flatMap { Int($0.1) } ?? 0
                #expect(generated >= 500, "\(generated) cases, summary missing or short in:\n\(output)")
                #expect(counts.map { $0.1 == $0.2 } == true, "not every case passed:\n\(output)")
            }
        }
    }

    /// Runs `program` to the end without blocking a cooperative thread; stdout and
    /// stderr together.
    static func execute(_ program: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_TELEMETRY"] = "false"
        process.environment = environment
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "schemathesis-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = handle
        process.standardError = handle
        let (exits, sink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { sink.yield($0.terminationStatus) }
        try process.run()
        var iterator = exits.makeAsyncIterator()
        let status = await iterator.next() ?? -1
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (status, text)
    }
}
