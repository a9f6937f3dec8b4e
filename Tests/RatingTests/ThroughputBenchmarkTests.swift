import Core
import Foundation
import Rating
import Testing

/// Throughput figures for BENCHMARKS.md; not a timed test. Run in release:
/// `RATING_BENCH=1 swift test -c release --filter ThroughputBenchmarkTests`.
/// Figures are per core: they use the thread's CPU time, so other load on the machine
/// does not distort them.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["RATING_BENCH"] != nil))
struct ThroughputBenchmarkTests {
    /// CPU seconds this thread spent in `body`.
    static func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        try body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    @Test func identityCosts() {
        let key = series("3f1c2a9e-0000-4000-8000-000000000001")
        var scratch: [UInt8] = []
        var sink: UInt64 = 0
        let n = 1_000_000
        let digestSeconds = Self.cpuSeconds {
            for _ in 0..<n { sink ^= FactIdentity.seriesDigest(key, scratch: &scratch).low }
        }
        let digest = FactIdentity.seriesDigest(key)
        let idSeconds = Self.cpuSeconds {
            for i in 0..<n {
                sink ^=
                    FactIdentity.intervalFactID(
                        series: digest, from: at(Int64(i)), to: at(Int64(i) + 1), minute: at(Int64(i) + 1)
                    ).low
            }
        }
        print(
            "series digest: \(Int(digestSeconds * 1e9 / Double(n))) ns; fact id: \(Int(idSeconds * 1e9 / Double(n))) ns (\(sink & 1))"
        )
        #expect(digestSeconds > 0)
    }

    static func fiftyMetricBook() -> PriceBook {
        var rules: [PriceRule] = []
        for i in 0..<50 {
            let tiers = [
                Tier(upTo: Money(units: 100), unitPrice: Money(scaled: 80_000_000_000_000_000)),
                Tier(upTo: Money(units: 1000), unitPrice: Money(scaled: 50_000_000_000_000_000)),
                Tier(upTo: nil, unitPrice: Money(scaled: 20_000_000_000_000_000)),
            ]
            rules.append(
                PriceRule(
                    metric: "bench.metric_\(i)_bytes", match: i % 5 == 0 ? [Dimension("env", "staging")] : [],
                    unit: 1_073_741_824, model: .perUnit(unitPrice: .zero)))
            rules.append(
                PriceRule(
                    metric: "bench.metric_\(i)_bytes", unit: 1_000_000_000,
                    model: i % 2 == 0 ? .graduated(tiers) : .volume(tiers)))
        }
        return PriceBook(
            version: "bench", effectiveFrom: Timestamp(nanosecondsSinceEpoch: 0),
            currency: Currency(code: "USD", minorUnits: 2), prices: rules)
    }

    @Test func meteringAndRatingThroughput() throws {
        let seriesCount = 100_000
        let steps = 10
        let keys = (0..<seriesCount).map { i in
            SeriesKey(
                source: "edge", subject: "3f1c2a9e-0000-4000-8000-\(String(100_000_000_000 + i))",
                metric: "bench.metric_\(i % 50)_bytes",
                dimensions: [Dimension("env", "prod"), Dimension("inbound_tag", ""), Dimension("node_id", "node-7")])
        }
        var batches: [[Observation]] = []
        for step in 0..<steps {
            let time = monthStart.adding(nanoseconds: Int64(step) * 60_000_000_000 + 1_000_000_000)
            batches.append(
                keys.enumerated().map { i, key in
                    Observation(series: key, time: time, value: .cumulative(UInt64(step * 1_000_000 + i)))
                })
        }
        let meter = Meter(options: MeteringOptions(initialSync: .billFromZero))
        let rater = Rater(book: Self.fiftyMetricBook())
        var baselines: [SeriesDigest: Baseline] = [:]
        baselines.reserveCapacity(seriesCount)
        var first: Timestamp?
        var facts = 0
        var meterSeconds = 0.0
        var rateSeconds = 0.0
        for batch in batches {
            for chunk in stride(from: 0, to: batch.count, by: 10_000) {
                let slice = Array(batch[chunk..<min(chunk + 10_000, batch.count)])
                var result = MeteringResult(facts: [], changedBaselines: [:], stats: MeteringStats())
                meterSeconds += Self.cpuSeconds {
                    result = meter.meter(slice, baselines: &baselines, firstMinute: &first)
                }
                var rated = result.facts
                rateSeconds += try Self.cpuSeconds { _ = try rater.rate(&rated) }
                facts += rated.count
            }
        }
        let observations = Double(seriesCount * steps)
        print(
            "metering: \(Int(observations / meterSeconds)) observations/s; rating: \(Int(Double(facts) / rateSeconds)) facts/s; "
                + "metering+rating: \(Int(observations / (meterSeconds + rateSeconds))) observations/s (\(facts) facts)"
        )
        // Series 0 starts at 0: its first value is a zero increase.
        #expect(facts == seriesCount * steps - 1)
    }

    @Test func periodCalculationOver100KSubjects() throws {
        let book = Self.fiftyMetricBook()
        let catalog = PriceCatalog(book: book)
        let period = BillingPeriod(year: 2026, month: 11)!
        var facts: [UsageFact] = []
        for i in 0..<100_000 {
            for j in 0..<5 {
                let key = SeriesKey(source: "s", subject: "subject-\(i)", metric: "bench.metric_\((i + j) % 50)_bytes")
                facts.append(
                    UsageFact(
                        id: Digest128(high: UInt64(i), low: UInt64(j)), series: key, from: monthStart, to: monthStart,
                        minute: monthStart, quantity: UInt64(i) * 1_000_000_007))
            }
        }
        var lines = 0
        let elapsed = try Self.cpuSeconds {
            var totals = UsageTotals(catalog: catalog, period: period)
            totals.add(contentsOf: facts)
            lines = try PeriodCalculator.statement(totals).lines.count
        }
        print("period calculation: 100000 subjects, \(facts.count) facts, \(lines) lines in \(elapsed) CPU seconds")
        #expect(lines > 0)
    }
}
