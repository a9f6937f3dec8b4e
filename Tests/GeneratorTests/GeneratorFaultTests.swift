import Core
import Generator
import Testing
import WireFormats

/// The injected faults happen exactly when their probability says.
struct GeneratorFaultTests {
    static func settings(
        reset: String = "0", duplicate: String = "0", outOfOrder: String = "0", gap: String = "0",
        families: [GeneratorSettings.Family] = [.xray, .vm]
    ) -> GeneratorSettings {
        GeneratorSettings(
            seed: 99, subjects: 12, nodes: 3, families: families, interval: .seconds(60), duration: .seconds(40 * 60),
            vmsPerSubject: 1, counterReset: Probability(decimal: reset)!, duplicate: Probability(decimal: duplicate)!,
            outOfOrder: Probability(decimal: outOfOrder)!, gap: Probability(decimal: gap)!, batchSize: 100)
    }

    /// Observations grouped by series, in emission order.
    static func series(_ settings: GeneratorSettings) -> [SeriesKey: [Observation]] {
        var out: [SeriesKey: [Observation]] = [:]
        for record in allRecords(settings) {
            for o in record.observations(source: "g") { out[o.series, default: []].append(o) }
        }
        return out
    }

    static func value(_ o: Observation) -> UInt64 {
        switch o.value {
        case .cumulative(let v), .gauge(let v), .delta(let v, _): return v
        }
    }

    @Test func zeroProbabilitiesGiveACleanRun() {
        let settings = Self.settings()
        let all = Self.series(settings)
        #expect(all.count >= 12 * 2 + 12 * 6)
        for (key, observations) in all {
            #expect(observations.count == 40, "\(key)")
            for (a, b) in zip(observations, observations.dropFirst()) {
                #expect(b.time.nanosecondsSinceEpoch - a.time.nanosecondsSinceEpoch == 60_000_000_000)
                if case .cumulative = a.value { #expect(Self.value(b) >= Self.value(a)) }
            }
        }
        var simulation = GeneratorSimulation(settings: settings)
        var records: [GeneratedRecord] = []
        while !simulation.isFinished { simulation.step(into: &records) }
        #expect(simulation.statistics.resets == 0)
        #expect(simulation.statistics.duplicates == 0)
        #expect(simulation.statistics.reordered == 0)
        #expect(simulation.statistics.gaps == 0)
        #expect(simulation.statistics.records == UInt64(40 * (3 + 12)))
    }

    @Test func resetProbabilityOneDropsEveryNonZeroCounter() {
        let all = Self.series(Self.settings(reset: "1"))
        var drops = 0
        for observations in all.values {
            guard case .cumulative = observations[0].value else { continue }
            for (a, b) in zip(observations, observations.dropFirst()) where Self.value(a) > 0 {
                #expect(Self.value(b) < Self.value(a))
                drops += 1
            }
        }
        #expect(drops > 100)
    }

    @Test func resetsDropCountersThenTheyGrowAgain() {
        let all = Self.series(Self.settings(reset: "0.1", families: [.xray]))
        var drops = 0
        var rises = 0
        for observations in all.values {
            for (a, b) in zip(observations, observations.dropFirst()) {
                if Self.value(b) < Self.value(a) { drops += 1 } else if Self.value(b) > Self.value(a) { rises += 1 }
            }
        }
        #expect(drops > 0)
        #expect(rises > drops)
    }

    @Test func duplicateProbabilityOneSendsEveryRecordTwice() {
        let records = allRecords(Self.settings(duplicate: "1"))
        #expect(records.count == 2 * 40 * 15)
        for pair in stride(from: 0, to: records.count, by: 2) {
            #expect(records[pair] == records[pair + 1])
        }
    }

    @Test func outOfOrderSwapsConsecutiveSnapshotsOfANode() {
        let records = allRecords(Self.settings(outOfOrder: "0.3", families: [.xray]))
        var times: [String: [Timestamp]] = [:]
        for case .snapshot(let s) in records { times[s.nodeID, default: []].append(s.collectedAt) }
        var backwards = 0
        for list in times.values {
            #expect(list.count == 40)  // nothing lost, nothing twice
            #expect(Set(list).count == 40)
            for (a, b) in zip(list, list.dropFirst()) where b < a {
                backwards += 1
                #expect(a.nanosecondsSinceEpoch - b.nanosecondsSinceEpoch >= 60_000_000_000)
            }
        }
        #expect(backwards > 0)
    }

    @Test func gapsSkipIntervalsOfANode() {
        let records = allRecords(Self.settings(gap: "0.2", families: [.xray]))
        var times: [String: [Timestamp]] = [:]
        for case .snapshot(let s) in records { times[s.nodeID, default: []].append(s.collectedAt) }
        var longSteps = 0
        for list in times.values {
            #expect(list.count < 40)
            for (a, b) in zip(list, list.dropFirst()) {
                let step = b.nanosecondsSinceEpoch - a.nanosecondsSinceEpoch
                #expect(step >= 60_000_000_000 && step <= 6 * 60_000_000_000)
                if step > 60_000_000_000 { longSteps += 1 }
            }
        }
        #expect(longSteps > 0)
    }

    @Test func gapProbabilityOneStillSendsAfterEveryGap() {
        let records = allRecords(Self.settings(gap: "1", families: [.xray]))
        #expect(!records.isEmpty)
    }
}
