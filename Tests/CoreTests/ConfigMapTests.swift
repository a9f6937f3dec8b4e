import Core
import Testing
import YAMLConfig

@Suite struct ConfigMapTests {
    func decode(_ yaml: String, _ body: (ConfigMap) -> Void) throws -> [String] {
        let node = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "sources.x", diagnostics: diagnostics)
        body(map)
        map.finish()
        return diagnostics.problems.map(\.description)
    }

    @Test func reportsEveryProblemWithPathAndLine() throws {
        let yaml = """
            type: file_replay
            format: xray
            batch_size: ten
            interval: 5
            colour: blue
            """
        enum Format: String, CaseIterable { case xray_snapshots, vm_metrics, observations }
        let problems = try decode(yaml) { map in
            _ = map.string("type")
            _ = map.enumeration("format", of: Format.self)
            _ = map.integer("batch_size")
            _ = map.duration("interval")
            _ = map.string("path", required: true)
        }
        #expect(
            problems == [
                "sources.x.format (line 2): unknown value \"xray\" (valid: xray_snapshots, vm_metrics, observations)",
                "sources.x.batch_size (line 3): expected an integer, found \"ten\"",
                "sources.x.interval (line 4): expected a duration such as 90s, 2m, 6h or 1h30m, found \"5\"",
                "sources.x.path (line 1): required key is missing",
                "sources.x.colour (line 5): unknown key (valid: type, format, batch_size, interval, path)",
            ])
    }

    @Test func secretsAreNeverInline() throws {
        let problems = try decode("token: hunter2\n") { map in _ = map.secret("token") }
        #expect(problems.count == 1)
        #expect(problems[0].contains("token_env"))
        #expect(!problems[0].contains("hunter2"))
    }

    @Test(arguments: [
        ("90s", Duration.seconds(90)), ("2m", .seconds(120)), ("6h", .seconds(21_600)), ("1h30m", .seconds(5_400)),
        ("500ms", .milliseconds(500)), ("1d", .seconds(86_400)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(ConfigValueParser.duration(text) == expected)
    }

    @Test(arguments: ["", "5", "m", "1x", "1.5h", "-1s"])
    func rejectsBareOrUnknownDurations(text: String) {
        #expect(ConfigValueParser.duration(text) == nil)
    }

    @Test(arguments: [
        ("32MiB", Int64(33_554_432)), ("512KiB", 524_288), ("10MB", 10_000_000), ("1GiB", 1_073_741_824), ("100", 100),
    ])
    func parsesSizes(text: String, expected: Int64) {
        #expect(ConfigValueParser.size(text) == expected)
    }

    @Test func yamlSyntaxErrorsCarryTheLine() {
        #expect {
            _ = try YAMLDocument.parse("a: 1\nb: [1, 2\nc: 3\n", file: "bad.yaml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.problems.first.map { $0.line >= 2 && $0.message.hasPrefix("YAML syntax") } ?? false
        }
    }
}
