import Core
import Foundation
import Rating

/// Resident memory per active series: meters the first observations of N
/// distinct series in small chunks (so inputs don't stay resident) and reads
/// the growth of VmRSS, which is then only the metering state (baselines).
enum MemoryBench {
    static func run(series: Int) async throws {
        let meter = Meter(options: MeteringOptions(initialSync: .billFromZero))
        var baselines: [SeriesDigest: Baseline] = [:]
        var firstMinute: Timestamp?
        let before = Bench.procStatus("VmRSS")
        let chunk = 10_000
        var made = 0
        let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
        while made < series {
            var observations: [Observation] = []
            observations.reserveCapacity(chunk)
            for i in made..<min(made + chunk, series) {
                let key = SeriesKey(
                    source: "bench", subject: "acct-\(i / 2)",
                    metric: i % 2 == 0 ? "traffic.uplink_bytes" : "traffic.downlink_bytes",
                    sortedDimensions: [
                        Dimension("env", "prod"), Dimension("inbound_tag", ""), Dimension("node_id", "n1"),
                    ])
                observations.append(Observation(series: key, time: start, value: .cumulative(UInt64(i))))
            }
            _ = meter.meter(observations, baselines: &baselines, firstMinute: &firstMinute)
            made += chunk
        }
        let after = Bench.procStatus("VmRSS")
        let perSeries = Double(after - before) / Double(baselines.count)
        Bench.row(
            "memory per active series (\(baselines.count) series)", "\(Bench.format(perSeries)) bytes",
            "target <= 200",
            "(RSS +\((after - before) / 1_048_576) MiB; peak RSS \(Bench.procStatus("VmHWM") / 1_048_576) MiB)")
    }
}
