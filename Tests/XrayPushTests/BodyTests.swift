import Core
import Foundation
import Testing
import WireFormats

@testable import XrayPush

@Suite("xray_push bodies")
struct BodyTests {
    let source = XrayPushSource(id: "push", settings: XrayPushSettings(maxBodyBytes: 4096))

    func accept(_ body: String, after cursor: SourceCursor? = nil) throws(XrayPushRejection) -> ObservationBatch? {
        try source.batch(fromBody: Array(body.utf8), after: cursor)
    }

    func rejection(_ body: String) -> XrayPushRejection? {
        do {
            _ = try accept(body)
            return nil
        } catch {
            return error
        }
    }

    @Test("one snapshot, an array and NDJSON of the same snapshots give the same observations")
    func threeShapes() throws {
        let a = Fixture.snapshot(minute: 1)
        let b = Fixture.snapshot(minute: 2, up: 2_000)
        let single = try #require(try accept(a))
        #expect(single.observations.count == 4)
        let array = try #require(try accept("[\n  \(a),\n  \(b)\n]\n"))
        let ndjson = try #require(try accept("\(a)\n\(b)\n"))
        #expect(array.observations == ndjson.observations)
        #expect(array.observations.count == 8)
        #expect(Array(array.observations.prefix(4)) == single.observations)
        // Exactly what the shared decoder maps (the same as exporter_pull's).
        var expected: [Observation] = []
        for text in [a, b] {
            try Array(text.utf8).withUnsafeBytes { raw in
                try XraySnapshotDecoder.appendObservations(of: raw, source: "push", to: &expected)
            }
        }
        #expect(array.observations == expected)
        #expect(array.cursor.json == #"{"latest":"2026-01-01T00:02:00.000000000Z"}"#)
    }

    @Test("a pretty-printed snapshot spanning lines is one snapshot")
    func prettyPrinted() throws {
        let pretty = Fixture.snapshot(minute: 3).replacingOccurrences(of: ",", with: ",\n  ")
        let batch = try #require(try accept(pretty))
        #expect(batch.observations.count == 4)
    }

    @Test("snapshots out of order are metered in collected_at order; the cursor never moves back")
    func ordering() throws {
        let late = Fixture.snapshot(minute: 5, up: 5_000)
        let early = Fixture.snapshot(minute: 4, up: 4_000)
        let batch = try #require(try accept("[\(late),\(early)]"))
        #expect(batch.observations.map(\.time) == batch.observations.map(\.time).sorted())
        #expect(batch.observations.first?.value == .cumulative(4_000))
        let older = try #require(try accept(Fixture.snapshot(minute: 1), after: batch.cursor))
        #expect(older.cursor == batch.cursor)
    }

    @Test(
        "a malformed body is refused whole, with the first bad line and column",
        arguments: [
            // The second NDJSON line has a negative counter.
            (
                Fixture.snapshot(minute: 1) + "\n"
                    + Fixture.snapshot(minute: 2, up: 2_000).replacingOccurrences(
                        of: #""uplink_bytes_total":2000"#, with: #""uplink_bytes_total":-2"#),
                2, 1, "samples[0].uplink_bytes_total"
            ),
            // Truncated array.
            ("[" + Fixture.snapshot(minute: 1) + ",", 1, nil, nil),
            // Two objects on one line are not NDJSON.
            (Fixture.snapshot(minute: 1) + " " + Fixture.snapshot(minute: 2), 1, 1, nil),
            // A missing required key in the third line.
            (
                Fixture.snapshot(minute: 1) + "\n" + Fixture.snapshot(minute: 2) + "\n"
                    + #"{"collected_at":"2026-01-01T00:03:00Z","env":"production","samples":[]}"#,
                3, 2, "node_id"
            ),
        ] as [(String, Int, Int?, String?)])
    func malformed(body: String, line: Int, snapshot: Int?, field: String?) throws {
        let error = try #require(rejection(body))
        #expect(error.kind == .invalid)
        #expect(error.line == line, "\(error)")
        if let snapshot { #expect(error.snapshot == snapshot, "\(error)") }
        #expect(error.field == field, "\(error)")
        #expect(error.description.hasPrefix("line \(line), column "))
    }

    @Test("the column points at the offending byte")
    func column() throws {
        let body = #"{"collected_at":"2026-01-01T00:01:00Z","node_id":"n","env":"e","samples":[{"uuid":""}]}"#
        let error = try #require(rejection(body))
        let offset = try #require(body.utf8.firstRange(of: #""uuid":"""#.utf8)).upperBound
        let column = body.utf8.distance(from: body.utf8.startIndex, to: offset) - 1
        #expect(error.line == 1)
        #expect(error.column == column)
        #expect(error.field == "samples[0].uuid")
        #expect(error.message == "must not be empty")
    }

    @Test("an empty body is malformed; an empty array applies nothing")
    func empty() throws {
        #expect(rejection("  \n")?.kind == .invalid)
        #expect(try accept("[]") == nil)
    }

    @Test("a body over max_body_bytes is refused as too large")
    func tooLarge() throws {
        let body = Array(repeating: Fixture.snapshot(minute: 1), count: 30).joined(separator: "\n")
        let error = try #require(rejection(body))
        #expect(error.kind == .tooLarge)
        #expect(error.message.contains("4096"))
    }

    @Test("a snapshot from another env or an unlisted node refuses the whole body")
    func foreign() throws {
        let strict = XrayPushSource(
            id: "push", settings: XrayPushSettings(expectedEnv: "production", allowedNodeIDs: ["edge-1"]))
        let good = Fixture.snapshot(minute: 1)
        for (bad, field) in [
            (Fixture.snapshot(minute: 2, env: "staging"), "env"),
            (Fixture.snapshot(minute: 2, node: "edge-9"), "node_id"),
        ] {
            do {
                _ = try strict.batch(fromBody: Array("\(good)\n\(bad)".utf8), after: nil)
                Issue.record("accepted a foreign snapshot")
            } catch {
                #expect(error.snapshot == 1)
                #expect(error.field == field)
            }
        }
        #expect(try strict.batch(fromBody: Array(good.utf8), after: nil)?.observations.count == 4)
    }

    @Test("the push reader has nothing to pull")
    func reader() async throws {
        var reader = try await source.makeReader(from: nil)
        #expect(try await reader.next() == nil)
    }
}
