import Core
import Foundation
import Testing
import YAMLConfig

@testable import XrayPush

/// Issue 12, item 4: a pushed snapshot outside the source's clock window is
/// refused as a whole body (422 naming the snapshot), so it moves no cursor.
@Suite("xray_push clock window")
struct ClockWindowTests {
    /// `Fixture.context`'s clock reads 2026-01-01T00:00:00Z.
    static func source(_ yaml: String = "{}\n") throws -> XrayPushSource {
        let root = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.push", diagnostics: diagnostics)
        let source = XrayPushFactory().makeSource(id: "push", config: map, context: Fixture.context)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        return try #require(source as? XrayPushSource)
    }

    static func snapshot(at time: String) -> String {
        Fixture.snapshot(minute: 1).replacingOccurrences(of: "2026-01-01T00:01:00Z", with: time)
    }

    static func rejection(_ body: String, source: XrayPushSource) -> XrayPushRejection? {
        do {
            _ = try source.batch(fromBody: Array(body.utf8), after: nil)
            return nil
        } catch {
            return error
        }
    }

    @Test("the defaults: 5 minutes ahead, 72 hours behind")
    func defaults() throws {
        let source = try Self.source()
        #expect(source.metering.window == XrayPushSettings.defaultWindow)
        #expect(source.metering.window.maxFutureSkew == .seconds(300))
        #expect(source.metering.window.maxAge == .seconds(72 * 3600))
    }

    @Test(
        "2200, 2000 and a snapshot just past either edge refuse the body, naming the snapshot and field",
        arguments: [
            ("2200-01-01T00:00:00Z", "ahead of the clock"),
            ("2026-01-01T00:05:01Z", "ahead of the clock"),
            ("2000-01-01T00:00:00Z", "behind the clock"),
            ("2025-12-28T23:59:59Z", "behind the clock"),
        ])
    func outside(time: String, words: String) throws {
        let body = Fixture.snapshot(minute: 1) + "\n" + Self.snapshot(at: time) + "\n"
        let refusal = try #require(Self.rejection(body, source: try Self.source()))
        #expect(refusal.kind == .invalid)
        #expect(refusal.snapshot == 1)
        #expect(refusal.field == "collected_at")
        #expect(refusal.message.contains(words), "\(refusal)")
        #expect(refusal.description.hasPrefix("(snapshot 1, collected_at): collected_at "), "\(refusal)")
    }

    @Test("inside the window, at its edges, is accepted")
    func inside() throws {
        let source = try Self.source()
        for time in ["2026-01-01T00:05:00Z", "2025-12-29T00:00:00Z"] {
            let batch = try #require(try source.batch(fromBody: Array(Self.snapshot(at: time).utf8), after: nil))
            #expect(batch.observations.count == 4)
        }
    }

    @Test("max_future_skew and max_age are per source; none lifts a limit")
    func configured() throws {
        let loose = try Self.source("max_age: none\nmax_future_skew: 1h\n")
        #expect(Self.rejection(Self.snapshot(at: "2020-01-01T00:00:00Z"), source: loose) == nil)
        #expect(Self.rejection(Self.snapshot(at: "2026-01-01T00:59:00Z"), source: loose) == nil)
        #expect(Self.rejection(Self.snapshot(at: "2026-01-01T01:01:00Z"), source: loose)?.field == "collected_at")
    }

    @Test("a cursor committed in 2200 before the window existed is not kept: the next push sets it to its own time")
    func poisonedCursor() throws {
        let source = try Self.source()
        let poisoned = try SourceCursor(
            encoding: XrayPushCursor(latest: try #require(Timestamp(rfc3339: "2200-01-01T00:00:00Z"))))
        let batch = try #require(
            try source.batch(fromBody: Array(Fixture.snapshot(minute: 1).utf8), after: poisoned))
        #expect(try batch.cursor.decode(as: XrayPushCursor.self).latest == Timestamp(rfc3339: "2026-01-01T00:01:00Z"))
        // A cursor inside the window still never moves back.
        let recent = try SourceCursor(
            encoding: XrayPushCursor(latest: try #require(Timestamp(rfc3339: "2026-01-01T00:03:00Z"))))
        let kept = try #require(try source.batch(fromBody: Array(Fixture.snapshot(minute: 1).utf8), after: recent))
        #expect(try kept.cursor.decode(as: XrayPushCursor.self).latest == Timestamp(rfc3339: "2026-01-01T00:03:00Z"))
    }
}
