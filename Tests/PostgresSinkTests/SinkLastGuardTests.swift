import Core
import Testing

@testable import PostgresSink

/// The sink's last guard behind the decoders: a label PostgreSQL's index cannot
/// hold, or a minute outside the accepted years (whose month once trapped), is a
/// permanent error before any I/O, never a 500 with SQLSTATE 54000 or a crash.
@Suite struct SinkLastGuardTests {
    @Test func aLabelBeyondItsLimitIsRefusedBeforeAnyIO() async throws {
        try await TestLedger.with { db in
            var fact = Fixtures.fact(subject: 1, minute: 0, quantity: 1)
            fact.series = SeriesKey(
                source: "edge", subject: String(repeating: "u", count: 5_000), metric: "uplink_bytes")
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            }
            #expect(error?.kind == .permanent)
            #expect(
                error?.message.contains("5000 bytes long; a subject may have at most 256 bytes") == true,
                "\(String(describing: error))")
        }
    }

    @Test func aMinuteOutsideTheAcceptedYearsIsRefusedBeforeAnyIO() async throws {
        try await TestLedger.with { db in
            let start = try #require(Timestamp(rfc3339: "2262-04-01T00:00:00Z"))
            let fact = Fixtures.fact(subject: 1, minute: 0, quantity: 1, start: start)
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            }
            #expect(error?.kind == .permanent)
            #expect(
                error?.message.contains("outside the accepted years 1970…2261") == true, "\(String(describing: error))")
        }
    }
}
