import Core
import Foundation
import Generator
import Host
import Rating
import YAMLConfig

/// Metering + rating throughput on one core, on generated xray observations.
enum MeteringBench {
    static func run(subjects: Int, hours: Int) async throws {
        let root = FileManager.default.currentDirectoryPath
        let yaml = """
            version: 1
            sources:
              g: { type: generator, seed: 11, subjects: \(subjects), nodes: 8, families: [xray], start: "2026-11-01T00:00:00Z",
                   interval: 1m, duration: \(hours)h, counter_reset: "0.001", duplicate: "0.001", gap: "0.001",
                   batch_size: 50000 }
            rating: { price_book: \(root)/examples/pricebook.yaml }
            sinks: { a: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [g], sinks: [a] } }
            """
        let configuration = try Bench.configuration(yaml, base: NSTemporaryDirectory())
        guard let source = configuration.sources.first?.source as? GeneratorSource,
            let book = configuration.pricing
        else { throw BenchError(message: "bench config did not build a generator and a price book") }
        var reader = try source.reader(from: nil)
        var batches: [[Observation]] = []
        var total = 0
        while let batch = try await reader.next() {
            batches.append(batch.observations)
            total += batch.observations.count
        }
        let meter = Meter(options: source.metering)
        let rater = Rater(catalog: book)
        var baselines: [SeriesDigest: Baseline] = [:]
        var firstMinute: Timestamp?
        var facts = 0
        var changed = 0
        // BENCH_CHECK=1: fold every fact into a checksum (slower; for comparing outputs across changes).
        let check = ProcessInfo.processInfo.environment["BENCH_CHECK"] != nil
        var checksum = OutputChecksum()
        var cpuSeconds = 0.0
        let (_, elapsed) = try await Bench.time {
            // Thread CPU time too: the machine is shared, and wall time counts other load.
            let cpuStart = threadCPUSeconds()
            defer { cpuSeconds = threadCPUSeconds() - cpuStart }
            for observations in batches {
                var result = meter.meter(observations, baselines: &baselines, firstMinute: &firstMinute)
                _ = try rater.rate(&result.facts)
                facts += result.facts.count
                // The pipeline commits these after every batch: count building them.
                changed += result.changedBaselines.count
                if check { checksum.add(result) }
            }
        }
        if check {
            checksum.add(baselines)
            print("output checksum: \(String(checksum.value, radix: 16))")
        }
        let rate = Double(total) / elapsed
        Bench.row(
            "metering+rating, one core", "\(Bench.format(rate)) obs/s", "target >= 1000000",
            "(\(Bench.format(Double(total) / cpuSeconds)) obs per CPU second, \(String(format: "%.2f", cpuSeconds)) CPU s)"
        )
        Bench.row(
            "", "", "",
            "(\(total) observations -> \(facts) facts, \(changed) baseline changes in \(String(format: "%.2f", elapsed)) s)"
        )
    }
}

/// CPU seconds this thread has used.
func threadCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// FNV-1a over every fact field, changed baseline and count a metering run produced,
/// so two builds can be shown to produce bit-identical output on the bench stream.
struct OutputChecksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add<T: FixedWidthInteger>(_ integer: T) {
        var v = integer.bigEndian
        withUnsafeBytes(of: &v) { for b in $0 { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 } }
    }

    mutating func add(_ text: String) {
        add(UInt32(text.utf8.count))
        for b in text.utf8 { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }

    mutating func add(_ result: MeteringResult) {
        for fact in result.facts {
            add(fact.id.high)
            add(fact.id.low)
            add(fact.series.source)
            add(fact.series.subject)
            add(fact.series.metric)
            for d in fact.series.dimensions {
                add(d.key)
                add(d.value)
            }
            add(fact.from.nanosecondsSinceEpoch)
            add(fact.to.nanosecondsSinceEpoch)
            add(fact.minute.nanosecondsSinceEpoch)
            add(fact.quantity)
            add(fact.flags.rawValue)
            add(fact.amount.scaled)
            add(fact.currency)
            add(fact.priceBook)
        }
        add(result.changedBaselines)
        let s = result.stats
        for n in [
            s.observations, s.metered, s.facts, s.resets, s.gaps, s.duplicates, s.late, s.baselined, s.initial,
            s.zero, s.overflows,
        ] {
            add(Int64(n))
        }
    }

    mutating func add(_ baselines: [SeriesDigest: Baseline]) {
        add(UInt64(baselines.count))
        for (digest, baseline) in baselines.sorted(by: { $0.key < $1.key }) {
            add(digest.high)
            add(digest.low)
            add(baseline.time.nanosecondsSinceEpoch)
            add(baseline.value)
        }
    }
}
