import Core
import PropertyBased
import Rating
import Testing

/// Period amounts depend only on usage totals: any order, any batching, same result.
@Suite struct PeriodPropertyTests {
    static let metrics = [
        "traffic.downlink_bytes", "traffic.uplink_bytes", "ai.model_inference_tokens", "vm.memory_byte_seconds",
        "vm.cpu_time_ns", "vm.disk_write_bytes", "vm.network_rx_bytes",
    ]

    static func facts(seed: UInt64) -> [UsageFact] {
        var rng = SplitMix64(seed: seed)
        let subjects = ["acct-1", "acct-2", "acct-pro"]
        return (0..<Int.random(in: 1...80, using: &rng)).map { _ in
            let metric = metrics[Int.random(in: 0..<metrics.count, using: &rng)]
            let subject = subjects[Int.random(in: 0..<subjects.count, using: &rng)]
            let minute = Int64.random(in: -100...(31 * 1440), using: &rng)
            let region = Bool.random(using: &rng) ? "eu" : "us"
            let quantity = UInt64.random(in: 0...(1 << UInt64.random(in: 1...50, using: &rng)), using: &rng)
            let to = monthStart.adding(nanoseconds: minute * 60_000_000_000)
            return usage(
                subject, metric, quantity, at: to, from: to.adding(nanoseconds: -60_000_000_000),
                [Dimension("region", region), Dimension("vm_id", "vm-\(Int.random(in: 1...3, using: &rng))")])
        }
    }

    @Test func anyPermutationAndSplitGivesTheSameStatement() async throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            let facts = Self.facts(seed: seed)
            var rng = SplitMix64(seed: ~seed)
            let shuffled = facts.shuffled(using: &rng)
            let chunks = Int.random(in: 1...5, using: &rng)
            var merged = UsageTotals(catalog: catalog, period: november)
            for c in 0..<chunks {
                var part = UsageTotals(catalog: catalog, period: november)
                part.add(contentsOf: shuffled.enumerated().filter { $0.offset % chunks == c }.map(\.element))
                merged.merge(part)
            }
            var whole = UsageTotals(catalog: catalog, period: november)
            whole.add(contentsOf: facts)
            let a = try PeriodCalculator.statement(whole)
            let b = try PeriodCalculator.statement(merged)
            #expect(a == b)
        }
    }

    @Test func partsSumToTheWholeAndRoundingIsWithinOneMinorUnit() async throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let minorUnit = Money(scaled: 10_000_000_000_000_000)  // 0.01
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            let result = try statement(catalog, Self.facts(seed: seed))
            for line in result.lines {
                #expect(line.amount == line.parts.reduce(Money.zero) { $0 + $1.amount })
                for part in line.parts {
                    #expect(part.amount == part.tiers.reduce(part.minimumTopUp) { $0 + $1.amount })
                }
                let difference = line.amountRounded - line.amount
                #expect(difference.scaled.magnitude < minorUnit.scaled.magnitude)
                #expect(line.amountRounded.rounded(minorUnits: 2, mode: .down) == line.amountRounded)
            }
            let totals = result.subjectTotals
            #expect(totals.reduce(Money.zero) { $0 + $1.amount } == result.lines.reduce(Money.zero) { $0 + $1.amount })
        }
    }

    @Test func perUnitFactAmountsSumToThePeriodAmount() async throws {
        let catalog = try loadCatalog("examples/pricebook-versions.yaml")
        let rater = Rater(catalog: catalog)
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SplitMix64(seed: seed)
            var facts = (0..<Int.random(in: 1...50, using: &rng)).map { _ in
                usage(
                    "c", "vm.network_tx_bytes", UInt64.random(in: 0...(1 << 45), using: &rng),
                    at: nov(Int64.random(in: 1...30, using: &rng), Int64.random(in: 0...23, using: &rng)))
            }
            _ = try rater.rate(&facts)
            let result = try statement(catalog, facts)
            #expect(result.lines.first?.amount == facts.reduce(Money.zero) { $0 + $1.amount })
        }
    }
}
