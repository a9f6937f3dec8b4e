import Core
import Testing
import YAMLConfig

/// A YAML syntax error names the line an operator has to fix.
@Suite("YAML syntax errors")
struct YAMLSyntaxErrorTests {
    func problem(_ text: String) throws -> ConfigProblem {
        do {
            _ = try YAMLDocument.parse(text, file: "plugins.yaml")
        } catch {
            return try #require(error.problems.first)
        }
        Issue.record("parsed without an error")
        throw CancellationError()
    }

    @Test("an unterminated quote is reported at its own line, not the end of the stream")
    func unterminatedQuote() throws {
        let text = """
            version: 1
            sources:
              fixtures:
                type: "file_replay
                path: examples/fixtures/xray-snapshots.jsonl
                format: xray_snapshots
            sinks:
              audit:
                type: jsonl_audit
            """
        let found = try problem(text)
        #expect(found.line == 4, "\(found)")
        #expect(found.message.contains("quoted scalar"), "\(found.message)")
        #expect(found.message.contains("line 4"), "\(found.message)")
    }

    @Test("an unclosed flow sequence is reported where the parser stopped, naming the line it opened on")
    func unclosedBracket() throws {
        let text = """
            version: 1
            pipelines:
              main:
                sources: [fixtures
                sinks: [audit]
            """
        let found = try problem(text)
        #expect(found.line == 5, "\(found)")
        #expect(found.message.contains("flow sequence (started at line 4)"), "\(found.message)")
    }

    @Test("an error inside the text keeps the line it was found at")
    func badIndentation() throws {
        let text = """
            version: 1
            sources:
              a:
                type: x
               b: y
            """
        let found = try problem(text)
        #expect(found.line == 5, "\(found)")
    }
}
