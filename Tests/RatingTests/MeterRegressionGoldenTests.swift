import Core
import Rating
import Testing

/// Pins the exact output of metering and rating a large generated stream, so a
/// speed-up that changes any fact (id, quantity, flag, amount), baseline or count fails.
///
/// The expected checksums were computed with the straightforward implementation
/// before the metering hot path was optimised; they must never change unless the
/// metering or pricing rules themselves change on purpose (and then DESIGN and the
/// audit documentation change with them).
@Suite struct MeterRegressionGoldenTests {
    /// xray-like traffic (uplink/downlink pairs sharing subject and labels, one per
    /// node) plus VM counters, memory gauges and token deltas with and without
    /// idempotency keys; with counter resets, duplicates, late arrivals, gaps and
    /// zero increases. Starts 30 minutes before the 2026-11-16 price change.
    static func stream(seed: UInt64) -> [Observation] {
        var rng = SplitMix64(seed: seed)
        let start = at(15 * 24 * 60 - 30).nanosecondsSinceEpoch
        struct Series {
            var key: SeriesKey
            var value: UInt64
        }
        var traffic: [Series] = []
        for s in 0..<24 {
            let subject = s == 3 ? "acct-pro" : "acct-\(s)"
            for node in 0..<3 {
                let labels = [
                    Dimension("env", node == 2 ? "staging" : "prod"), Dimension("inbound_tag", "vless-\(s % 2)"),
                    Dimension("node_id", "node-\(node)"),
                ]
                for metric in ["traffic.uplink_bytes", "traffic.downlink_bytes"] {
                    let key = SeriesKey(source: "xray", subject: subject, metric: metric, sortedDimensions: labels)
                    traffic.append(Series(key: key, value: UInt64.random(in: 0...1 << 30, using: &rng)))
                }
            }
        }
        var vms: [Series] = []
        for v in 0..<8 {
            let labels = [Dimension("region", v % 2 == 0 ? "eu" : "us"), Dimension("vm_id", "vm-\(v)")]
            for metric in ["vm.cpu_time_ns", "vm.disk_write_bytes", "vm.network_tx_bytes", "vm.memory_bytes"] {
                let key = SeriesKey(
                    source: "vm", subject: v == 1 ? "customer-42" : "acct-\(v)", metric: metric,
                    dimensions: labels)
                vms.append(Series(key: key, value: 0))
            }
        }
        var out: [Observation] = []
        for minute in 0..<60 {
            let base = start + Int64(minute) * 60_000_000_000
            for i in traffic.indices {
                if Int.random(in: 0..<50, using: &rng) == 0 { continue }  // a missed report: gap next time
                let t = Timestamp(nanosecondsSinceEpoch: base + Int64(i % 7) * 1_000_000_000)
                switch Int.random(in: 0..<40, using: &rng) {
                case 0: traffic[i].value = UInt64.random(in: 0...1000, using: &rng)  // reset
                case 1: break  // no traffic: zero increase
                default: traffic[i].value += UInt64.random(in: 1...50_000_000, using: &rng)
                }
                let observation = Observation(series: traffic[i].key, time: t, value: .cumulative(traffic[i].value))
                out.append(observation)
                switch Int.random(in: 0..<60, using: &rng) {
                case 0: out.append(observation)  // duplicate
                case 1 where minute > 1:  // late: a stale value from 90 s before (never the source's first minute)
                    out.append(
                        Observation(
                            series: traffic[i].key, time: t.adding(nanoseconds: -90_000_000_000),
                            value: .cumulative(traffic[i].value / 2)))
                default: break
                }
            }
            for i in vms.indices {
                let t = Timestamp(nanosecondsSinceEpoch: base + Int64(i) * 1_234_567_891 % 60_000_000_000)
                if vms[i].key.metric == "vm.memory_bytes" {
                    let level = UInt64.random(in: 0...(1 << 34), using: &rng)
                    out.append(Observation(series: vms[i].key, time: t, value: .gauge(level)))
                } else {
                    vms[i].value += UInt64.random(in: 0...(1 << 33), using: &rng)
                    out.append(Observation(series: vms[i].key, time: t, value: .cumulative(vms[i].value)))
                }
            }
            for d in 0..<6 {
                let key = SeriesKey(
                    source: "ai", subject: "acct-\(d)", metric: "ai.model_inference_tokens",
                    dimensions: [Dimension("model", "m-\(d % 2)")])
                let t = Timestamp(nanosecondsSinceEpoch: base + Int64(d) * 7_000_000_000)
                let idempotencyKey = d % 3 == 0 ? nil : "req-\(minute)-\(d)-\(UInt32.random(in: 0...9, using: &rng))"
                let amount = UInt64.random(in: 0...20_000, using: &rng)
                out.append(Observation(series: key, time: t, value: .delta(amount, idempotencyKey: idempotencyKey)))
            }
        }
        return out
    }

    /// Meters `observations` in batches of varying size, rating each batch, and
    /// folds every output into one checksum.
    static func checksum(
        _ observations: [Observation], options: MeteringOptions, catalog: PriceCatalog, seed: UInt64
    ) throws -> (checksum: String, facts: Int) {
        var rng = SplitMix64(seed: seed)
        let meter = Meter(options: options)
        let rater = Rater(catalog: catalog)
        var baselines: [SeriesDigest: Baseline] = [:]
        var firstMinute: Timestamp?
        var sum = FactChecksum()
        var facts = 0
        var start = 0
        while start < observations.count {
            let end = min(observations.count, start + Int.random(in: 1...700, using: &rng))
            var result = meter.meter(Array(observations[start..<end]), baselines: &baselines, firstMinute: &firstMinute)
            let ratingStats = try rater.rate(&result.facts)
            for fact in result.facts { sum.add(fact) }
            sum.add(result.changedBaselines)
            sum.add(result.stats)
            sum.add(ratingStats)
            facts += result.facts.count
            start = end
        }
        sum.add(baselines)
        return (sum.hex, facts)
    }

    @Test(arguments: [
        // (gap attribution, initial sync, price book, expected checksum)
        (
            MeteringOptions.GapAttribution.end, MeteringOptions.InitialSync.baseline, "examples/pricebook.yaml",
            "8d7710b715f62dbb"
        ),
        (
            MeteringOptions.GapAttribution.spread, MeteringOptions.InitialSync.baseline,
            "examples/pricebook-tiers.yaml", "6d14b550558d3380"
        ),
        (
            MeteringOptions.GapAttribution.end, MeteringOptions.InitialSync.billFromZero,
            "examples/pricebook-versions.yaml", "f172771021654ec9"
        ),
        (
            MeteringOptions.GapAttribution.spread, MeteringOptions.InitialSync.billFromZero,
            "examples/pricebook-tiers.yaml", "e2936a20408e15c0"
        ),
    ])
    func generatedStreamMetersAndRatesExactlyAsBefore(
        gap: MeteringOptions.GapAttribution, sync: MeteringOptions.InitialSync, book: String, expected: String
    ) throws {
        let observations = Self.stream(seed: 20_261_116)
        let options = MeteringOptions(initialSync: sync, gapAttribution: gap)
        let (checksum, facts) = try Self.checksum(
            observations, options: options, catalog: try loadCatalog(book), seed: 7)
        #expect(facts > observations.count / 2)
        #expect(checksum == expected, "\(gap) \(sync) \(book): \(facts) facts")
    }
}
