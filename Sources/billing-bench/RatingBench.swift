import Core
import Foundation
import Rating

/// Rating (issue 3): 1M metered facts rated against a 50-metric price book of
/// graduated and volume tiers with dimension matches, and a period calculation
/// over 100K subjects. Figures are per core: thread CPU time, so other load on
/// the machine does not distort them. Target: rating ≥ 2M facts/s.
enum RatingBench {
    static let monthStart = Timestamp(secondsSinceEpoch: 1_793_491_200)  // 2026-11-01T00:00:00Z

    /// CPU seconds this thread spent in `body`.
    static func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        try body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
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

    static func run(facts count: Int, subjects: Int) throws {
        try rating(facts: count)
        try period(subjects: subjects)
    }

    /// Facts as metering makes them (100K series over 50 metrics), rated in batches of 10K.
    static func rating(facts count: Int) throws {
        let seriesCount = min(100_000, count)
        let keys = (0..<seriesCount).map { i in
            SeriesKey(
                source: "edge", subject: "3f1c2a9e-0000-4000-8000-\(String(100_000_000_000 + i))",
                metric: "bench.metric_\(i % 50)_bytes",
                dimensions: [
                    Dimension("env", i % 7 == 0 ? "staging" : "prod"), Dimension("inbound_tag", ""),
                    Dimension("node_id", "node-7"),
                ])
        }
        var batches: [[UsageFact]] = []
        var batch: [UsageFact] = []
        for index in 0..<count {
            let minute = monthStart.adding(nanoseconds: Int64(index / seriesCount) * Timestamp.nanosecondsPerMinute)
            batch.append(
                UsageFact(
                    id: Digest128(high: UInt64(index), low: UInt64(index) &* 0x9E37_79B9_7F4A_7C15),
                    series: keys[index % seriesCount], from: minute,
                    to: minute.adding(nanoseconds: Timestamp.nanosecondsPerMinute), minute: minute,
                    quantity: UInt64(index % 5_000_000) * 997))
            if batch.count == 10_000 {
                batches.append(batch)
                batch = []
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        let rater = Rater(book: fiftyMetricBook())
        var rated = 0
        var priced = Money.zero
        let seconds = try cpuSeconds {
            for var facts in batches {
                _ = try rater.rate(&facts)
                rated += facts.count
                for fact in facts { priced += fact.amount }
            }
        }
        guard rated == count, priced > .zero else {
            throw BenchError(message: "rated \(rated) of \(count) facts, total \(priced)")
        }
        Bench.row(
            "rating \(count) facts, 50-metric tiered book", "\(Bench.format(Double(count) / seconds)) facts/s",
            ">= 2000000 (1 core)", "thread CPU time; total \(priced.formatted(fractionDigits: 2)) USD")
    }

    /// 100K subjects × 5 metrics: usage totals, tiers, allowances, statements.
    static func period(subjects: Int) throws {
        let catalog = PriceCatalog(book: fiftyMetricBook())
        guard let period = BillingPeriod(year: 2026, month: 11) else { throw BenchError(message: "period") }
        var facts: [UsageFact] = []
        facts.reserveCapacity(subjects * 5)
        for i in 0..<subjects {
            for j in 0..<5 {
                let key = SeriesKey(source: "s", subject: "subject-\(i)", metric: "bench.metric_\((i + j) % 50)_bytes")
                facts.append(
                    UsageFact(
                        id: Digest128(high: UInt64(i), low: UInt64(j)), series: key, from: monthStart, to: monthStart,
                        minute: monthStart, quantity: UInt64(i) * 1_000_000_007))
            }
        }
        var lines = 0
        let seconds = try cpuSeconds {
            var totals = UsageTotals(catalog: catalog, period: period)
            totals.add(contentsOf: facts)
            lines = try PeriodCalculator.statement(totals).lines.count
        }
        guard lines == subjects * 5 else { throw BenchError(message: "\(lines) statement lines") }
        Bench.row(
            "period calculation, \(subjects) subjects", String(format: "%.2f CPU s", seconds), "—",
            "\(facts.count) facts, \(lines) statement lines, \(Bench.format(Double(facts.count) / seconds)) facts/s")
    }
}
