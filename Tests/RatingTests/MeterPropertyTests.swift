import Core
import PropertyBased
import Rating
import Testing

/// Properties metering must keep whatever the input: batching never changes facts,
/// and splits never lose or invent a unit.
@Suite struct MeterPropertyTests {
    /// A stream of cumulative and gauge observations of a few series with resets,
    /// duplicates, late arrivals and gaps; the first observation is the earliest.
    static func stream(seed: UInt64) -> [Observation] {
        var rng = SplitMix64(seed: seed)
        let keys = [series("a"), series("b"), series("c", node: "n2")]
        let memory = series("a", "vm.memory_byte_seconds")
        var out: [Observation] = [cumulative(keys[0], at(0, 0), 10)]
        var time = at(0, 0).nanosecondsSinceEpoch
        var values: [UInt64] = [10, 0, 0]
        for _ in 0..<Int.random(in: 5...60, using: &rng) {
            let step = Int64.random(in: 0...200, using: &rng)
            time += step * 1_000_000_000 + Int64.random(in: 0...999, using: &rng) * 1_000_000
            let which = Int.random(in: 0..<4, using: &rng)
            let roll = Int.random(in: 0..<10, using: &rng)
            var t = Timestamp(nanosecondsSinceEpoch: time)
            if roll == 0 { t = max(at(0, 0), t.adding(nanoseconds: -90_000_000_000)) }  // late, never before the first
            if which == 3 {
                out.append(gauge(memory, t, UInt64.random(in: 0...1 << 40, using: &rng)))
                continue
            }
            if roll == 1 {
                values[which] = UInt64.random(in: 0...5, using: &rng)
            }  // reset
            else {
                values[which] += UInt64.random(in: 0...1_000_000, using: &rng)
            }
            out.append(cumulative(keys[which], t, values[which]))
            if roll == 2 { out.append(cumulative(keys[which], t, values[which])) }  // duplicate
        }
        return out
    }

    static func meterInBatches(_ observations: [Observation], cuts: [Int], options: MeteringOptions)
        -> ([UsageFact], MeteringStats)
    {
        var baselines: [SeriesDigest: Baseline] = [:]
        var first: Timestamp?
        var facts: [UsageFact] = []
        var stats = MeteringStats()
        var start = 0
        for cut in (cuts + [observations.count]).sorted() where cut >= start {
            let result = Meter(options: options).meter(
                Array(observations[start..<cut]), baselines: &baselines, firstMinute: &first)
            facts += result.facts
            stats.add(result.stats)
            start = cut
        }
        return (facts, stats)
    }

    @Test func batchingNeverChangesFacts() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...1)) { seed, mode in
            let observations = Self.stream(seed: seed)
            let options = MeteringOptions(gapAttribution: mode == 0 ? .end : .spread)
            var rng = SplitMix64(seed: seed ^ 0xABCD)
            let cuts = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                Int.random(in: 0...observations.count, using: &rng)
            }
            let (whole, wholeStats) = Self.meterInBatches(observations, cuts: [], options: options)
            let (split, splitStats) = Self.meterInBatches(observations, cuts: cuts, options: options)
            #expect(whole.count == split.count)
            let mismatch = zip(whole, split).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(mismatch == nil, "first differing fact at \(mismatch ?? -1)")
            #expect(wholeStats == splitStats)
            // Every observation is accounted for exactly once.
            #expect(
                wholeStats.metered + wholeStats.duplicates + wholeStats.late + wholeStats.baselined + wholeStats.zero
                    == wholeStats.observations)
        }
    }

    @Test func spreadPartsSumToTheIncrease() async {
        await propertyCheck(
            count: 300, input: Gen.uint64(in: 0...UInt64.max), Gen.int64(in: 0...(3 * 86_400_000_000_000)),
            Gen.int64(in: 1...(72 * 3_600_000_000_000))
        ) { quantity, offset, length in
            let from = monthStart.adding(nanoseconds: offset)
            let to = from.adding(nanoseconds: length)
            var sum: UInt128 = 0
            var minutes: [Timestamp] = []
            MinuteSplit.spread(quantity, from: from, to: to) { minute, part in
                sum += UInt128(part)
                minutes.append(minute)
            }
            #expect(sum == UInt128(quantity))
            #expect(minutes == minutes.sorted())
            #expect(minutes.allSatisfy { $0 >= from.minuteStart && $0 < to })
        }
    }

    @Test func gaugePartsSumToTheWholeIntegral() async {
        await propertyCheck(
            count: 300, input: Gen.uint64(in: 0...(1 << 50)), Gen.int64(in: 0...(3 * 86_400_000_000_000)),
            Gen.int64(in: 1...(6 * 3_600_000_000_000))
        ) { level, offset, length in
            let from = monthStart.adding(nanoseconds: offset)
            let to = from.adding(nanoseconds: length)
            var sum: Int128 = 0
            MinuteSplit.integral(level: level, from: from, to: to) { _, part in sum += Int128(part) }
            // The whole interval's integral, with the same epoch anchoring: ⌊level·to⌋ − ⌊level·from⌋.
            let whole =
                Int128(level) * Int128(to.nanosecondsSinceEpoch) / 1_000_000_000
                - Int128(level) * Int128(from.nanosecondsSinceEpoch) / 1_000_000_000
            #expect(sum == whole)
            // And it differs from the real-valued integral by less than one byte-second.
            let exactTimesBillion = Int128(level) * Int128(length)
            #expect(abs(sum * 1_000_000_000 - exactTimesBillion) < 1_000_000_000)
        }
    }
}
