import Foundation

// billing-bench: throughput and memory figures next to baselines measured in the
// same run. Run in release: `swift run -c release billing-bench [all|metering|replay|memory|load]`.
// `load` (not part of `all`) needs DATABASE_URL: the daemon on loopback against PostgreSQL.
let which = CommandLine.arguments.dropFirst().first ?? "all"
if which != "load" { Bench.row("benchmark", "ours", "target", "baseline (same run)") }
do {
    if which == "all" || which == "metering" { try await MeteringBench.run(subjects: 20_000, hours: 3) }
    if which == "all" || which == "replay" {
        try await ReplayBench.run(subjects: 10_000, hours: 2, fsync: true)
    }
    if which == "all" || which == "memory" { try await MemoryBench.run(series: 1_000_000) }
    if which == "load" {
        var plan = LoadBench.Plan()
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["LOAD_ACCOUNTS"].flatMap({ Int($0) }) { plan.accounts = value }
        if let value = environment["LOAD_MINUTES"].flatMap({ Int($0) }) { plan.minutes = value }
        if let value = environment["LOAD_PUSHERS"].flatMap({ Int($0) }) { plan.pushers = value }
        try await LoadBench.run(plan: plan)
    }
} catch {
    FileHandle.standardError.write(Data("billing-bench: \(error)\n".utf8))
    exit(1)
}
