import Foundation

// billing-bench: throughput and memory figures next to baselines measured in the
// same run. Run in release:
// `swift run -c release billing-bench [all|metering|replay|memory|rating|pull|ledger|load|connect|records|invoices]`.
// `ledger`, `load`, `connect`, `records` and `invoices` need DATABASE_URL; `scripts/bench.sh` provides a throwaway server.
// `load`, `connect`, `records` (the daemon on loopback against PostgreSQL) and `invoices` are not part of `all`.
let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "all"
/// `--name N` options (sizes), for quick smaller runs.
func size(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count,
        let parsed = Int(arguments[index + 1].replacingOccurrences(of: "_", with: ""))
    else { return value }
    return parsed
}
if !["load", "connect", "records"].contains(which) { Bench.row("benchmark", "ours", "target", "baseline (same run)") }
do {
    if which == "all" || which == "metering" { try await MeteringBench.run(subjects: 20_000, hours: 3) }
    if which == "all" || which == "replay" {
        try await ReplayBench.run(subjects: 10_000, hours: 2, fsync: true)
    }
    if which == "all" || which == "memory" { try await MemoryBench.run(series: 1_000_000) }
    if which == "all" || which == "rating" {
        try RatingBench.run(facts: size("facts", default: 1_000_000), subjects: size("subjects", default: 100_000))
    }
    if which == "all" || which == "pull" {
        try await PullBench.run(sources: size("sources", default: 200), accounts: size("accounts", default: 10_000))
    }
    if which == "all" && ProcessInfo.processInfo.environment["DATABASE_URL"] == nil {
        Bench.row("ledger", "skipped: DATABASE_URL not set", "", "run scripts/bench.sh ledger")
    } else if which == "all" || which == "ledger" {
        try await LedgerBench.run(
            writeFacts: size("write-facts", default: 1_000_000), ledgerFacts: size("ledger-facts", default: 10_000_000),
            queries: size("queries", default: 200))
    }
    if which == "invoices" {
        try await InvoiceBench.run(
            subjects: size("subjects", default: 100_000), facts: size("facts", default: 10_000_000),
            priceBook: "examples/pricebook.yaml")
    }
    if which == "load" {
        var plan = LoadBench.Plan()
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["LOAD_ACCOUNTS"].flatMap({ Int($0) }) { plan.accounts = value }
        if let value = environment["LOAD_MINUTES"].flatMap({ Int($0) }) { plan.minutes = value }
        if let value = environment["LOAD_PUSHERS"].flatMap({ Int($0) }) { plan.pushers = value }
        if let value = environment["LOAD_LEDGER_FACTS"].flatMap({ Int($0) }) { plan.ledgerFacts = value }
        try await LoadBench.run(plan: plan)
    }
    if which == "connect" || which == "records" {
        var plan = PushRPCBench.Plan()
        plan.clients = size("clients", default: plan.clients)
        plan.requestsPerClient = size("requests", default: plan.requestsPerClient)
        plan.readingsPerRequest = size("readings", default: plan.readingsPerRequest)
        plan.recordsPerRequest = size("records", default: plan.recordsPerRequest)
        try await PushRPCBench.run(plan: plan, connect: which == "connect", records: which == "records")
    }
} catch {
    FileHandle.standardError.write(Data("billing-bench: \(String(reflecting: error))\n".utf8))
    exit(1)
}
