import Core
import Foundation
import Generator
import Host
import WireFormats

/// End-to-end replay of an xray_snapshots fixture into the audit sink, next to
/// `jq -c . FILE > /dev/null` on the same file measured in the same run.
enum ReplayBench {
    static func run(subjects: Int, hours: Int, fsync: Bool) async throws {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = FileManager.default.currentDirectoryPath
        let generatorYAML = """
            version: 1
            sources:
              g: { type: generator, seed: 5, subjects: \(subjects), nodes: 8, families: [xray], start: "2026-11-01T00:00:00Z",
                   interval: 1m, duration: \(hours)h, counter_reset: "0.001", duplicate: "0.001", gap: "0.001" }
            sinks: { a: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [g], sinks: [a] } }
            """
        let generatorConfig = try Bench.configuration(generatorYAML, base: dir)
        guard let generator = generatorConfig.sources.first?.source as? GeneratorSource else {
            throw BenchError(message: "no generator")
        }
        let fixture = dir + "/fixture.jsonl"
        _ = try generator.writeFixture(format: .xraySnapshots, to: fixture)
        let size = (try FileManager.default.attributesOfItem(atPath: fixture)[.size] as? Int) ?? 0

        let replayYAML = """
            version: 1
            state: { store: file, path: state }
            sources: { f: { type: file_replay, path: fixture.jsonl, format: xray_snapshots, batch_size: 50000 } }
            rating: { price_book: \(root)/examples/pricebook.yaml }
            sinks: { audit: { type: jsonl_audit, path: audit, fsync: \(fsync) } }
            pipelines: { main: { sources: [f], sinks: [audit] } }
            """
        let configuration = try Bench.configuration(replayYAML, base: dir)
        let host = PipelineHost(configuration: configuration, context: Bench.context(base: dir))
        let (results, elapsed) = await Bench.time { await host.runAll() }
        guard case .success(let summary)? = results.first else {
            throw BenchError(message: "replay failed: \(results)")
        }
        let jqSeconds = try Bench.timeShell("jq -c . '\(fixture)' > /dev/null")
        let ours = Double(summary.observations) / elapsed
        let jq = Double(summary.observations) / jqSeconds
        Bench.row(
            "replay xray fixture -> audit (fsync \(fsync))", "\(Bench.format(ours)) obs/s", "target >= 300000",
            "jq -c . same file: \(Bench.format(jq)) obs/s; ratio \(String(format: "%.2f", ours / jq))x; "
                + "\(summary.observations) obs, \(summary.facts) facts, \(size / 1_000_000) MB, "
                + "\(String(format: "%.1f", Double(size) / elapsed / 1e6)) MB/s")
    }
}
