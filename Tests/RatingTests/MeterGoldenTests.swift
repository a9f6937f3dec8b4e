import Core
import Rating
import Testing

/// Golden cases: a fixture of observations in, the exact facts out (hand-computed).
@Suite struct MeterGoldenTests {
    let a = series("acct-a")

    func run(_ observations: [Observation], options: MeteringOptions = MeteringOptions()) -> MeteringResult {
        var baselines: [SeriesDigest: Baseline] = [:]
        var first: Timestamp?
        return Meter(options: options).meter(observations, baselines: &baselines, firstMinute: &first)
    }

    @Test func resetDuplicateLateAndGapAttributedToEnd() {
        let result = run([
            cumulative(a, at(0, 10), 100),  // baseline only (first minute of the source)
            cumulative(a, at(1, 10), 250),  // +150
            cumulative(a, at(1, 10), 999),  // duplicate
            cumulative(a, at(0, 50), 10),  // late
            cumulative(a, at(2, 10), 40),  // reset: +40
            cumulative(a, at(5, 10), 100),  // 180 s > 1.5 × 60 s: gap, +60 to minute 5
        ])
        #expect(
            result.facts.map(FactShape.init) == [
                FactShape("acct-a", minute: at(1), from: at(0, 10), to: at(1, 10), 150),
                FactShape("acct-a", minute: at(2), from: at(1, 10), to: at(2, 10), 40, ["reset"]),
                FactShape("acct-a", minute: at(5), from: at(2, 10), to: at(5, 10), 60, ["gap"]),
            ])
        var expected = MeteringStats()
        expected.observations = 6
        expected.metered = 3
        expected.facts = 3
        expected.resets = 1
        expected.gaps = 1
        expected.duplicates = 1
        expected.late = 1
        expected.baselined = 1
        #expect(result.stats == expected)
        let digest = FactIdentity.seriesDigest(a)
        #expect(result.changedBaselines == [digest: Baseline(time: at(5, 10), value: 100)])
    }

    @Test func gapSpreadSplitsExactlyWithRemainderToLastMinute() {
        let result = run(
            [cumulative(a, at(2, 10), 40), cumulative(a, at(5, 10), 100)],
            options: MeteringOptions(gapAttribution: .spread))
        // 60 over [2:10, 5:10) = 180 s: 50 s → ⌊60·50/180⌋ = 16, 60 s → 20, 60 s → 20, rest → 4.
        let from = at(2, 10)
        let to = at(5, 10)
        #expect(
            result.facts.map(FactShape.init) == [
                FactShape("acct-a", minute: at(2), from: from, to: to, 16, ["gap"]),
                FactShape("acct-a", minute: at(3), from: from, to: to, 20, ["gap"]),
                FactShape("acct-a", minute: at(4), from: from, to: to, 20, ["gap"]),
                FactShape("acct-a", minute: at(5), from: from, to: to, 4, ["gap"]),
            ])
        #expect(result.facts.reduce(0) { $0 + $1.quantity } == 60)
        #expect(Set(result.facts.map(\.id)).count == 4)
    }

    @Test func spreadWithoutGapStaysInTheEndMinute() {
        let result = run(
            [cumulative(a, at(0, 30), 0), cumulative(a, at(1, 20), 10)],
            options: MeteringOptions(gapAttribution: .spread))
        #expect(
            result.facts.map(FactShape.init) == [FactShape("acct-a", minute: at(1), from: at(0, 30), to: at(1, 20), 10)]
        )
    }

    @Test func gaugeIntegralSplitsAtMinuteBoundaries() {
        let memory = series("acct-a", "vm.memory_byte_seconds")
        let result = run([gauge(memory, at(0, 30), 1000), gauge(memory, at(2, 15), 5)])
        // 1000 B held 105 s: 30 s + 60 s + 15 s.
        #expect(
            result.facts.map(FactShape.init) == [
                FactShape("acct-a", minute: at(0), from: at(0, 30), to: at(2, 15), 30_000, ["gap"]),
                FactShape("acct-a", minute: at(1), from: at(0, 30), to: at(2, 15), 60_000, ["gap"]),
                FactShape("acct-a", minute: at(2), from: at(0, 30), to: at(2, 15), 15_000, ["gap"]),
            ])
        #expect(result.stats.baselined == 1)
    }

    @Test func gaugeSubSecondRemaindersAreAnchoredAtTheEpoch() {
        let memory = series("acct-a", "vm.memory_byte_seconds")
        // 3 B over [0.5 s, 60.75 s): I(x) = ⌊3·x⌋ → 1, 180, 182: parts 179 and 2 (exact 180.75).
        let result = run([
            gauge(memory, at(0, 0, nanos: 500_000_000), 3), gauge(memory, at(1, 0, nanos: 750_000_000), 3),
            // Held on to 61.25 s: I = 183, so one more byte-second although only 0.5 s passed.
            gauge(memory, at(1, 1, nanos: 250_000_000), 0),
        ])
        #expect(result.facts.map(\.quantity) == [179, 2, 1])
        // Constant level: the total telescopes to ⌊3·61.25⌋ − ⌊3·0.5⌋ = 183 − 1.
        #expect(result.facts.reduce(0) { $0 + $1.quantity } == 182)
    }

    @Test func baselineSyncBillsOnlySeriesFirstSeenAfterTheFirstMinute() {
        let b = series("acct-b")
        let result = run([cumulative(a, at(0, 10), 100), cumulative(b, at(3, 20), 500)])
        #expect(
            result.facts.map(FactShape.init) == [
                FactShape("acct-b", minute: at(3), from: at(3, 20), to: at(3, 20), 500, ["initial"])
            ])
        #expect(result.stats.baselined == 1)
        #expect(result.stats.initial == 1)
    }

    @Test func billFromZeroBillsEveryFirstValue() {
        let b = series("acct-b")
        let result = run(
            [cumulative(a, at(0, 10), 100), cumulative(b, at(3, 20), 500)],
            options: MeteringOptions(initialSync: .billFromZero))
        #expect(
            result.facts.map(FactShape.init) == [
                FactShape("acct-a", minute: at(0), from: at(0, 10), to: at(0, 10), 100, ["initial"]),
                FactShape("acct-b", minute: at(3), from: at(3, 20), to: at(3, 20), 500, ["initial"]),
            ])
    }

    @Test func firstMinuteComesFromTheEarliestObservationNotTheFirst() {
        var baselines: [SeriesDigest: Baseline] = [:]
        var first: Timestamp?
        let b = series("acct-b")
        let result = Meter(options: MeteringOptions()).meter(
            [cumulative(b, at(0, 40), 7), cumulative(a, at(0, 5), 9)], baselines: &baselines, firstMinute: &first)
        #expect(first == at(0))
        #expect(result.facts.isEmpty)
        #expect(result.stats.baselined == 2)
    }

    @Test func deltasAreFactsInTheirMinuteWithKeyedIds() {
        let tokens = SeriesKey(source: "ai", subject: "user-1", metric: "ai.model_inference_tokens")
        let result = run([
            Observation(series: tokens, time: at(4, 5), value: .delta(1000, idempotencyKey: "req-1")),
            Observation(series: tokens, time: at(4, 9), value: .delta(1000, idempotencyKey: "req-1")),
            Observation(series: tokens, time: at(4, 9), value: .delta(0, idempotencyKey: "req-2")),
            Observation(series: tokens, time: at(5, 0), value: .delta(30, idempotencyKey: nil)),
        ])
        #expect(result.facts.map(\.quantity) == [1000, 1000, 30])
        #expect(result.facts.map(\.minute) == [at(4), at(4), at(5)])
        // The same idempotency key is the same fact, whatever time the retry carried.
        #expect(result.facts[0].id == result.facts[1].id)
        #expect(result.facts[2].id != result.facts[0].id)
        #expect(result.stats.zero == 1)
        #expect(result.changedBaselines.isEmpty)
    }

    @Test func zeroIncreaseMovesTheBaselineWithoutAFact() {
        let result = run([cumulative(a, at(0, 0), 5), cumulative(a, at(1, 0), 5), cumulative(a, at(2, 0), 8)])
        #expect(result.facts.map(FactShape.init) == [FactShape("acct-a", minute: at(2), from: at(1), to: at(2), 3)])
        #expect(result.stats.zero == 1)
    }

    @Test(arguments: [
        (Int64(60), false), (Int64(90), false), (Int64(91), true), (Int64(120), true),
    ])
    func gapToleranceIsOneAndAHalfIntervals(seconds: Int64, isGap: Bool) {
        let meter = Meter(options: MeteringOptions(expectedInterval: .seconds(60)))
        #expect(meter.isGap(nanoseconds: seconds * 1_000_000_000) == isGap)
    }
}
