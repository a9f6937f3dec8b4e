import Core
import Foundation
import PropertyBased
import Testing
import WireFormats

/// The fast decoders agree with the JSONSerialization oracle on fixtures and random documents.
@Suite struct DecoderEquivalenceTests {
    @Test(arguments: Fixtures.files.map(\.name))
    func fixtureLinesDecodeLikeTheReference(file: String) throws {
        let format = try #require(Fixtures.files.first { $0.name == file }?.format)
        let decoder = FixtureLineDecoder(format: format, source: "fixtures")
        let lines = try Fixtures.lines(file)
        #expect(lines.count >= 6)
        for (number, line) in lines.enumerated() {
            let fast = try decoder.result(line).get()
            let reference = try ReferenceDecoder.observations(line, format: format, source: "fixtures")
            #expect(fast == reference, "line \(number + 1)")
            #expect(!fast.isEmpty)
        }
    }

    @Test func randomSnapshotsDecodeToTheirModel() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            let (text, snapshot) = RandomDocuments.xray(seed: UInt64(seed))
            let decoded = text.withUnsafeBytes { bytes in
                Result { () throws(WireFormatError) in try XraySnapshotDecoder.decode(bytes) }
            }
            #expect((try? decoded.get()) == snapshot, "\(String(decoding: text, as: UTF8.self))")
            let expected = snapshot.samples.flatMap { XrayMetrics.observations(of: $0, in: snapshot, source: "s") }
            let fast = FixtureLineDecoder(format: .xraySnapshots, source: "s").result(text)
            #expect((try? fast.get()) == expected)
            #expect((try? ReferenceDecoder.observations(text, format: .xraySnapshots, source: "s")) == expected)
        }
    }

    @Test func randomVMBatchesDecodeToTheirModel() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            let (text, batch) = RandomDocuments.vm(seed: UInt64(seed))
            let decoded = text.withUnsafeBytes { bytes in
                Result { () throws(WireFormatError) in try VMMetricsBatchDecoder.decode(bytes) }
            }
            #expect((try? decoded.get()) == batch, "\(String(decoding: text, as: UTF8.self))")
            let expected = batch.metrics.flatMap { VMMetrics.observations(of: $0, in: batch, source: "s") }
            #expect((try? FixtureLineDecoder(format: .vmMetrics, source: "s").result(text).get()) == expected)
            #expect((try? ReferenceDecoder.observations(text, format: .vmMetrics, source: "s")) == expected)
        }
    }

    @Test func randomObservationLinesDecodeToTheirModel() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            let (text, observation) = RandomDocuments.observation(seed: UInt64(seed), source: "s")
            let fast = FixtureLineDecoder(format: .observations, source: "s").result(text)
            #expect((try? fast.get()) == [observation], "\(String(decoding: text, as: UTF8.self))")
            #expect((try? ReferenceDecoder.observations(text, format: .observations, source: "s")) == [observation])
        }
    }

    @Test func windowPageDecodes() throws {
        let lines = try Fixtures.lines("xray-snapshots.jsonl")
        let snapshots = lines.prefix(2).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ,\n")
        let text =
            #"{"node_id":"node-a","env":"prod","snapshots":[\#(snapshots)],"has_more":true,"next_cursor":"2026-11-01T00:00:00.250000000Z"}"#
        let page = try Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(WireFormatError) in try XraySnapshotDecoder.decodeWindowPage(bytes) }
        }.get()
        #expect(page.nodeID == "node-a")
        #expect(page.hasMore)
        #expect(page.nextCursor == "2026-11-01T00:00:00.250000000Z")
        #expect(page.snapshots.count == 2)
        #expect(page.snapshots[1].collectedAt == Timestamp(rfc3339: "2026-11-01T00:00:00.25Z"))
        let last = #"{"node_id":"n","env":"e","snapshots":[],"has_more":false}"#
        let lastPage = try Array(last.utf8).withUnsafeBytes { bytes in
            Result { () throws(WireFormatError) in try XraySnapshotDecoder.decodeWindowPage(bytes) }
        }.get()
        #expect(lastPage == XrayWindowPage(nodeID: "n", env: "e", snapshots: [], hasMore: false, nextCursor: nil))
    }

    /// The direct mapping of the replay hot path equals `XrayMetrics.observations` sample by sample.
    @Test func fastXrayMappingMatchesTheModelMapping() throws {
        for line in try Fixtures.lines("xray-snapshots.jsonl") {
            let snapshot = try XraySnapshotDecoder.decode(String(decoding: line, as: UTF8.self))
            var fast: [Observation] = []
            XraySnapshotDecoder.appendObservations(of: snapshot, source: "x", to: &fast)
            #expect(fast == snapshot.samples.flatMap { XrayMetrics.observations(of: $0, in: snapshot, source: "x") })
        }
    }
}
