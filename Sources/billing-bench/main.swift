import Foundation

// billing-bench: throughput and memory figures next to baselines measured in the
// same run. Run in release: `swift run -c release billing-bench [all|metering|replay|memory]`.
let which = CommandLine.arguments.dropFirst().first ?? "all"
Bench.row("benchmark", "ours", "target", "baseline (same run)")
do {
    if which == "all" || which == "metering" { try await MeteringBench.run(subjects: 20_000, hours: 3) }
    if which == "all" || which == "replay" {
        try await ReplayBench.run(subjects: 10_000, hours: 2, fsync: true)
    }
    if which == "all" || which == "memory" { try await MemoryBench.run(series: 1_000_000) }
} catch {
    FileHandle.standardError.write(Data("billing-bench: \(error)\n".utf8))
    exit(1)
}
