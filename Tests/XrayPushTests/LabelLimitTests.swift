import Core
import Foundation
import Testing
import WireFormats

@testable import XrayPush

/// A pushed body whose labels or times PostgreSQL could not take is refused whole
/// by the decoder, naming the snapshot and field, before any write (issue 12, items 1 and 3).
@Suite("xray_push label and time limits")
struct LabelLimitTests {
    let source = XrayPushSource(id: "push", settings: XrayPushSettings(maxBodyBytes: 64 * 1024))

    func rejection(_ body: String) -> XrayPushRejection? {
        do {
            _ = try source.batch(fromBody: Array(body.utf8), after: nil)
            return nil
        } catch {
            return error
        }
    }

    static let good = Fixture.snapshot(minute: 1)

    @Test(
        arguments: [
            (good.replacingOccurrences(of: #""u-2""#, with: #""u\u0000x""#), "samples[1].uuid", "U+0000"),
            (
                good.replacingOccurrences(of: #""u-2""#, with: "\"" + String(repeating: "x", count: 5_000) + "\""),
                "samples[1].uuid", "5000 bytes long; a subject may have at most 256 bytes"
            ),
            (good.replacingOccurrences(of: #""vless""#, with: "\"vl\u{7F}ess\""), "samples[1].inbound_tag", "U+007F"),
            (good.replacingOccurrences(of: #""b@example.com""#, with: #""b\u0085@x""#), "samples[1].email", "U+0085"),
            (good.replacingOccurrences(of: #""edge-1""#, with: "\"edge\u{85}1\""), "node_id", "U+0085"),
            (good.replacingOccurrences(of: #""production""#, with: #""prod\nuction""#), "env", "U+000A"),
            (
                good.replacingOccurrences(of: "2026-01-01T00:01:00Z", with: "2262-04-01T00:00:00Z"), "collected_at",
                "year 2262 is outside the accepted years 1970…2261"
            ),
            (
                good.replacingOccurrences(of: "2026-01-01T00:01:00Z", with: "1677-09-22T00:00:00Z"), "collected_at",
                "year 1677 is outside the accepted years 1970…2261"
            ),
        ] as [(String, String, String)])
    func refusedWithThePosition(body: String, field: String, message: String) throws {
        let ndjson = Self.good + "\n" + body
        let error = try #require(rejection(ndjson))
        #expect(error.kind == .invalid)
        #expect(error.line == 2, "\(error)")
        #expect(error.snapshot == 1, "\(error)")
        #expect(error.field == field, "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func theColumnPointsAtTheControlCharacter() throws {
        let body = Self.good.replacingOccurrences(of: #""edge-1""#, with: "\"edge\u{7F}1\"")
        let error = try #require(rejection(body))
        let column = try #require(error.column)
        let bytes = Array(body.utf8)
        #expect(bytes[column - 1] == 0x7F, "\(error)")
    }

    @Test func labelsAtTheirLimitsAreAccepted() throws {
        let body = Self.good.replacingOccurrences(
            of: #""u-2""#, with: "\"" + String(repeating: "é", count: 128) + "\""
        ).replacingOccurrences(of: #""vless""#, with: "\"" + String(repeating: "t", count: 256) + "\"")
        #expect(rejection(body) == nil)
    }
}
