import Core
import Foundation
import Generator
import Testing
import WireFormats

/// Determinism, resumption and fixture equivalence of a generator run.
struct GeneratorRunTests {
    static let faulty = GeneratorSettings(
        seed: 7, subjects: 23, nodes: 3, families: [.xray, .vm], interval: .seconds(60), duration: .seconds(3600),
        vmsPerSubject: 2, counterReset: Probability(decimal: "0.05")!, duplicate: Probability(decimal: "0.05")!,
        outOfOrder: Probability(decimal: "0.05")!, gap: Probability(decimal: "0.05")!, batchSize: 500)

    @Test func sameSeedGivesIdenticalOutput() throws {
        let a = try readAll(GeneratorSource(id: "g", settings: Self.faulty))
        let b = try readAll(GeneratorSource(id: "g", settings: Self.faulty))
        #expect(a.count == b.count)
        #expect(a.flatMap(\.observations) == b.flatMap(\.observations))
        #expect(a.map(\.cursor) == b.map(\.cursor))
        #expect(a.flatMap(\.observations).count > 10_000)
    }

    @Test func differentSeedGivesDifferentOutput() throws {
        var other = Self.faulty
        other.seed = 8
        let a = try readAll(GeneratorSource(id: "g", settings: Self.faulty)).flatMap(\.observations)
        let b = try readAll(GeneratorSource(id: "g", settings: other)).flatMap(\.observations)
        #expect(a != b)
        #expect(Set(a.map(\.series.subject)) != Set(b.map(\.series.subject)))
    }

    @Test(arguments: [1, 5, 17])
    func readingFromAMidCursorGivesTheTailOfAFullRead(splitAfter: Int) throws {
        let source = GeneratorSource(id: "g", settings: Self.faulty)
        let full = try readAll(source)
        #expect(full.count > splitAfter + 1)
        let head = full.prefix(splitAfter).flatMap(\.observations)
        let tail = try readAll(source, from: full[splitAfter - 1].cursor)
        #expect(tail.flatMap(\.observations) == Array(full.flatMap(\.observations).dropFirst(head.count)))
        #expect(tail.map(\.cursor) == Array(full.dropFirst(splitAfter).map(\.cursor)))
    }

    @Test func readingFromTheFinalCursorEndsAtOnce() throws {
        let source = GeneratorSource(id: "g", settings: Self.faulty)
        let full = try readAll(source)
        let last = try #require(full.last)
        #expect(try readAll(source, from: last.cursor).isEmpty)
    }

    @Test func cursorIsTheNextTickAndStream() throws {
        let source = GeneratorSource(id: "g", settings: Self.faulty)
        var reader = try source.reader(from: nil)
        let batch = try #require(try reader.nextBatch())
        let position = try batch.cursor.decode(as: GeneratorPosition.self)
        #expect(position == reader.simulation.position)
        #expect(batch.cursor.json == "{\"stream\":\(position.stream),\"tick\":\(position.tick)}")
    }

    @Test func aForeignCursorIsAPermanentError() throws {
        let source = GeneratorSource(id: "g", settings: Self.faulty)
        #expect(throws: PluginError.self) {
            _ = try source.reader(from: SourceCursor(json: "{\"stream\":0,\"tick\":61}"))
        }
        #expect(throws: PluginError.self) {
            _ = try source.reader(from: SourceCursor(json: "{\"stream\":9999,\"tick\":1}"))
        }
        #expect(throws: PluginError.self) { _ = try source.reader(from: SourceCursor(json: "{\"x\":1}")) }
    }

    @Test func batchesEndOnRecordBoundariesNearTheBatchSize() throws {
        let batches = try readAll(GeneratorSource(id: "g", settings: Self.faulty))
        for batch in batches.dropLast() {
            // One record adds at most 2 × (subjects on a node) observations.
            #expect(batch.observations.count >= 500 && batch.observations.count < 500 + 2 * 23)
        }
    }

    @Test(arguments: [
        (GeneratorSettings.Family.xray, FixtureFormat.xraySnapshots),
        (.vm, .vmMetrics),
    ])
    func emittedObservationsEqualThoseOfTheWrittenFixture(
        family: GeneratorSettings.Family, format: FixtureFormat
    ) throws {
        var settings = Self.faulty
        settings.families = [family]
        let source = GeneratorSource(id: "fx", settings: settings)
        let path = FixtureParsing.temporaryPath("fixture.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try source.writeFixture(format: format, to: path)
        let decoded = try FixtureParsing.observations(ofFile: path, format: format, source: "fx")
        let emitted = try readAll(source).flatMap(\.observations)
        #expect(decoded.count == emitted.count)
        #expect(decoded == emitted)
        #expect(summary.observations == UInt64(emitted.count))
        #expect(summary.lines == UInt64(try FixtureParsing.lines(ofFile: path).count))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
        #expect(summary.bytes == size?.uint64Value)
        #expect(summary.statistics.resets > 0 && summary.statistics.duplicates > 0)
    }

    @Test func observationsFixtureOfBothFamiliesEqualsTheEmittedObservations() throws {
        let source = GeneratorSource(id: "obs", settings: Self.faulty)
        let path = FixtureParsing.temporaryPath("observations.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try source.writeFixture(format: .observations, to: path)
        let decoded = try FixtureParsing.observations(ofFile: path, format: .observations, source: "obs")
        #expect(decoded == (try readAll(source).flatMap(\.observations)))
    }

    @Test func sameSeedWritesByteIdenticalFixtures() throws {
        let source = GeneratorSource(id: "g", settings: Self.faulty)
        let a = FixtureParsing.temporaryPath("a.jsonl")
        let b = FixtureParsing.temporaryPath("b.jsonl")
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        _ = try source.writeFixture(format: .xraySnapshots, to: a)
        _ = try source.writeFixture(format: .xraySnapshots, to: b)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
    }

    @Test func writeFixtureRefusesAnInfiniteRun() throws {
        var settings = Self.faulty
        settings.duration = nil
        let error = #expect(throws: PluginError.self) {
            _ = try GeneratorSource(id: "g", settings: settings).writeFixture(
                format: .xraySnapshots, to: FixtureParsing.temporaryPath("never.jsonl"))
        }
        #expect(error?.message.contains("duration") == true)
        #expect(error?.component == "sources.g")
    }

    @Test func writeFixtureRefusesAFamilyTheConfigDoesNotGenerate() throws {
        var settings = Self.faulty
        settings.families = [.xray]
        let error = #expect(throws: PluginError.self) {
            _ = try GeneratorSource(id: "g", settings: settings).writeFixture(
                format: .vmMetrics, to: FixtureParsing.temporaryPath("never.jsonl"))
        }
        #expect(error?.message.contains("family vm") == true)
    }

    @Test func infiniteRunKeepsProducing() async throws {
        var settings = Self.faulty
        settings.duration = nil
        var reader = try await GeneratorSource(id: "g", settings: settings).makeReader(from: nil)
        for _ in 0..<50 {
            let batch = try #require(try await reader.next())
            #expect(!batch.observations.isEmpty)
        }
    }
}
