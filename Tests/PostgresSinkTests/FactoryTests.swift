import Core
import Foundation
import Logging
import Metrics
import TestKit
import Testing
import YAMLConfig

@testable import PostgresSink

/// The `postgres` factory's config: the shipped sample decodes, and every problem is reported.
@Suite struct FactoryTests {
    static func context(environment: [String: String] = [:]) -> PluginContext {
        .testing(clock: FixedClock(Fixtures.november), baseDirectory: "/etc/billing", environment: environment)
    }

    static func decode(_ yaml: String) throws -> (PostgresSinkSettings?, [ConfigProblem]) {
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(
            try YAMLDocument.parse(yaml, file: "plugins.yaml"), path: "sinks.ledger", diagnostics: diagnostics)
        return (PostgresSinkFactory.decode(map), diagnostics.problems)
    }

    @Test func sampleYAMLDecodesWithTheRealFactory() throws {
        let text = try String(
            contentsOfFile: Repository.root + "/Sources/Sinks/Postgres/sample.yaml", encoding: .utf8)
        let (settings, problems) = try Self.decode(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(
            settings
                == PostgresSinkSettings(
                    databaseURL: .environment("DATABASE_URL"), schema: .default,
                    connection: PostgresConnectionOptions(
                        poolSize: 4, connectTimeout: .seconds(10), queryTimeout: .seconds(30))))
        let diagnostics = ConfigDiagnostics()
        let sink = PostgresSinkFactory().makeSink(
            id: "ledger",
            config: ConfigMap(
                try YAMLDocument.parse(text, file: "sample.yaml"), path: "sinks.ledger", diagnostics: diagnostics),
            context: Self.context())
        #expect(sink?.id == "ledger")
        #expect(PostgresSinkFactory().type == "postgres")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var yaml: String
        var paths: [String]
        var testDescription: String { yaml }
    }

    @Test(arguments: [
        Case(yaml: "type: postgres\n", paths: ["sinks.ledger.database_url_env"]),
        Case(
            yaml: "type: postgres\ndatabase_url: postgres://u:secret@h/d\n",
            paths: ["sinks.ledger.database_url"]),
        Case(
            yaml: "database_url_env: DB\ndatabase_url_file: /run/db\n", paths: ["sinks.ledger.database_url_env"]),
        Case(yaml: "database_url_env: DB\nschema: Billing\n", paths: ["sinks.ledger.schema"]),
        Case(yaml: "database_url_env: DB\npool_size: 0\n", paths: ["sinks.ledger.pool_size"]),
        Case(yaml: "database_url_env: DB\nconnect_timeout: 10ms\n", paths: ["sinks.ledger.connect_timeout"]),
        Case(yaml: "database_url_env: DB\nquery_timeout: 500ms\n", paths: ["sinks.ledger.query_timeout"]),
        Case(
            yaml: "database_url_env: DB\npool: 3\nschema: 1x\n", paths: ["sinks.ledger.pool", "sinks.ledger.schema"]),
    ])
    func everyProblemIsReported(_ c: Case) throws {
        let (settings, problems) = try Self.decode(c.yaml)
        #expect(settings == nil)
        #expect(problems.map(\.path).sorted() == c.paths.sorted(), "\(problems)")
        #expect(!problems.map(\.message).joined().contains("secret"))
    }

    @Test func missingEnvironmentVariableIsAPermanentErrorAtFirstUse() async throws {
        let (settings, _) = try Self.decode("database_url_env: NOT_SET\n")
        let sink = PostgresSink(id: "ledger", settings: try #require(settings), context: Self.context())
        let error = await #expect(throws: PluginError.self) {
            try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        }
        #expect(error?.kind == .permanent)
        #expect(error?.message.contains("NOT_SET") == true)
    }

    @Test func sinkFromConfigWritesThroughTheURLInTheEnvironment() async throws {
        let urlText = try TestDatabase.serverURL()
        try await TestLedger.with { db in
            let (settings, problems) = try Self.decode(
                "database_url_env: LEDGER_URL\nschema: \(db.schema.name)\npool_size: 2\n")
            #expect(problems.isEmpty)
            let sink = PostgresSink(
                id: "ledger", settings: try #require(settings),
                context: Self.context(environment: ["LEDGER_URL": urlText]))
            try await sink.open(pipeline: "main", lastCommittedSequence: 0)
            try await sink.write(Fixtures.batch([Fixtures.fact(subject: 1, minute: 0, quantity: 42)], sequence: 1))
            try await sink.close()
            #expect(try await db.strings("SELECT quantity::text FROM \(db.schema.name).usage_facts") == ["42"])
        }
    }
}
