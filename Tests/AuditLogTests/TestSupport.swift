import Core
import Foundation
import TestKit

@testable import AuditLog

func makeSink(
    _ dir: TemporaryDirectory, rotateBytes: Int64 = AuditLogOptions.defaultRotateBytes, fsync: Bool = false,
    clock: SettableClock = SettableClock("2026-11-01T12:00:00Z")
) -> AuditLogSink {
    AuditLogSink(
        id: "audit", options: AuditLogOptions(directory: dir.path, rotateBytes: rotateBytes, fsync: fsync),
        context: .testing(clock: clock, baseDirectory: "/"))
}

/// A deterministic fact: everything derived from `n`.
func fact(_ n: UInt64, flags: FactFlags = []) -> UsageFact {
    let minute = Timestamp(rfc3339: "2026-11-01T00:00:00Z")!.adding(
        nanoseconds: Int64(n % 5) * Timestamp.nanosecondsPerMinute)
    return UsageFact(
        id: Digest128(high: 0x1111_2222_3333_4444 &+ n, low: 0x5555_6666_7777_8888 &* (n + 1)),
        series: SeriesKey(
            source: "edge_1", subject: "acct-\(n % 3)", metric: "xray_uplink_bytes",
            dimensions: [Dimension("node_id", "n\(n % 2)"), Dimension("inbound_tag", "vless")]),
        from: minute.adding(nanoseconds: 1_500_000_000), to: minute.adding(nanoseconds: 59_000_000_001), minute: minute,
        quantity: 1_000 * n + 7, flags: flags, amount: Money(scaled: Int128(n) * 50_000_000_000_000_000),
        currency: "USD", priceBook: "2026-11")
}

func batch(_ sequence: UInt64, facts: [UsageFact], pipeline: String = "main") -> FactBatch {
    FactBatch(
        pipeline: pipeline, sequence: sequence, source: "edge_1", facts: facts,
        stateCommit: StateCommit(
            pipeline: pipeline, sequence: sequence, source: "edge_1", sourceState: SourceState(), baselines: [:]))
}

/// Facts of batch `b` in the standard test run: two per batch.
func standardFacts(_ b: UInt64) -> [UsageFact] {
    [fact(b * 10), fact(b * 10 + 1, flags: b % 2 == 0 ? [.reset, .gap] : [])]
}
