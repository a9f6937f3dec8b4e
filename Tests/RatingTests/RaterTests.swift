import Core
import Rating
import Testing

@Suite struct RaterTests {
    func fact(_ key: SeriesKey, _ quantity: UInt64) -> UsageFact {
        UsageFact(
            id: FactIdentity.intervalFactID(
                series: FactIdentity.seriesDigest(key), from: at(0), to: at(1), minute: at(1)),
            series: key, from: at(0), to: at(1), minute: at(1), quantity: quantity)
    }

    @Test(arguments: [
        // (metric, env, quantity, exact amount)
        ("traffic.downlink_bytes", "prod", UInt64(5_500_000_000), "0.275"),  // 5.5 GB × 0.05
        ("traffic.downlink_bytes", "staging", UInt64(5_500_000_000), "0"),  // first match: free
        ("traffic.uplink_bytes", "prod", UInt64(1 << 30), "0.01"),  // 1 GiB
        ("traffic.uplink_bytes", "prod", UInt64(1), "0.000000000009313226"),  // 0.01 / 2^30, half-even at 10^-18
        ("vm.cpu_time_ns", "prod", UInt64(90 * 60 * 1_000_000_000), "0.06"),  // 90 core-minutes = 1.5 core-hours
        ("vm.memory_byte_seconds", "prod", UInt64(3_865_470_566_400), "0.005"),  // 1 GiB-hour
    ])
    func perUnitAmountsAreExact(metric: String, env: String, quantity: UInt64, amount: String) throws {
        let rater = Rater(book: try loadBook("examples/pricebook.yaml"))
        let key = SeriesKey(source: "s", subject: "acct", metric: metric, dimensions: [Dimension("env", env)])
        var facts = [fact(key, quantity)]
        let stats = try rater.rate(&facts)
        #expect(facts[0].amount == Money(decimal: amount))
        #expect(facts[0].currency == "USD")
        #expect(facts[0].priceBook == "2026-11-01")
        #expect(facts[0].quantity == quantity)
        #expect(stats.rated == 1)
    }

    @Test func unpricedMetricsAreRatedZeroAndCountedNeverDropped() throws {
        let rater = Rater(book: try loadBook("examples/pricebook.yaml"))
        var facts = [
            fact(series("a", "ai.tokens"), 10), fact(series("a", "ai.tokens"), 5),
            fact(series("a", "traffic.downlink_bytes"), 1_000_000_000),
        ]
        let stats = try rater.rate(&facts)
        #expect(facts.count == 3)
        #expect(facts.map(\.amount) == [.zero, .zero, Money(decimal: "0.05")])
        #expect(facts.map(\.currency) == ["USD", "USD", "USD"])
        #expect(stats.unpriced == ["ai.tokens": 2])
        #expect(stats.rated == 1)
    }
}
