import Core
import Foundation
import Testing
import WireFormats

/// Every decoder holds labels to `LabelRules` and times to the accepted years
/// before anything downstream sees them (issue 12: a NUL or a 5,000-byte uuid
/// reached PostgreSQL; a 2262 time crashed the daemon).
@Suite struct LabelLimitTests {
    static func long(_ n: Int) -> String { String(repeating: "a", count: n) }

    static func observation(
        subject: String = "org", metric: String = "llm.tokens", dimensions: String = #"{"model":"m"}"#,
        time: String = "2026-11-01T00:00:30Z", key: String = "null"
    ) -> String {
        #"{"subject":"\#(subject)","metric":"\#(metric)","dimensions":\#(dimensions),"time":"\#(time)","kind":"delta","value":1,"idempotency_key":\#(key)}"#
    }

    static let observationCases: [(String, String)] = [
        (observation(subject: #"o\u0000rg"#), "(subject): control character U+0000 at byte 1; a subject"),
        (observation(subject: long(257)), "(subject): 257 bytes long; a subject may have at most 256 bytes"),
        (observation(metric: long(129)), "(metric): 129 bytes long; a metric name may have at most 128"),
        (observation(metric: "llm\u{7F}"), "(metric): control character U+007F at byte 3"),
        (
            observation(dimensions: #"{"k\tey":"v"}"#),
            "(dimensions): control character U+0009 at byte 1; a dimension key"
        ),
        (observation(dimensions: "{\"\(long(65))\":\"v\"}"), "(dimensions): 65 bytes long; a dimension key"),
        (observation(dimensions: #"{"":"v"}"#), "(dimensions): a dimension key must not be empty"),
        (observation(dimensions: #"{"k":"v\u0085"}"#), "(dimensions.k): control character U+0085 at byte 1"),
        (observation(dimensions: "{\"k\":\"\(long(257))\"}"), "(dimensions.k): 257 bytes long; a dimension value"),
        (
            observation(dimensions: "{" + (0...32).map { "\"k\($0)\":\"v\"" }.joined(separator: ",") + "}"),
            "(dimensions): 33 dimensions; at most 32 are allowed"
        ),
        (observation(key: "\"\(long(257))\""), "(idempotency_key): 257 bytes long; an idempotency key"),
        (observation(time: "2262-01-01T00:00:00Z"), "(time): year 2262 is outside the accepted years 1970…2261"),
        (observation(time: "1969-12-31T23:59:59Z"), "(time): year 1969 is outside the accepted years 1970…2261"),
        (observation(time: "9999-12-31T23:59:59Z"), "(time): year 9999 is outside the accepted years 1970…2261"),
        (observation(time: "2026-02-30T00:00:00Z"), "(time): not an RFC 3339 timestamp"),
    ]

    @Test(arguments: observationCases)
    func observationLines(line: String, expected: String) {
        let result = FixtureLineDecoder(format: .observations, source: "s").result(Array(line.utf8))
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(error.description.contains(expected), "\(error)")
    }

    static let vmCases: [(String, String)] = [
        (#"{"vm_id":"v\u0000","customer_id":"c"}"#, "(vm_id): control character U+0000"),
        (#"{"vm_id":"v","customerId":"\#(long(300))"}"#, "(customer_id): 300 bytes long; a subject"),
        (
            #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2262-04-01T00:00:00Z"}]}"#,
            "(metrics[0].timestamp): year 2262 is outside the accepted years"
        ),
    ]

    @Test(arguments: vmCases)
    func vmBatches(line: String, expected: String) {
        let result = FixtureLineDecoder(format: .vmMetrics, source: "s").result(Array(line.utf8))
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(error.description.contains(expected), "\(error)")
    }

    static let sample = #"{"uuid":"u1","email":"a@b","inbound_tag":"","uplink_bytes_total":1,"downlink_bytes_total":2}"#

    @Test func xrayLinesKeepAndSkipEmailAlike() {
        let bad =
            #"{"collected_at":"2026-11-01T00:00:00Z","node_id":"n","env":"e","samples":["#
            + Self.sample.replacingOccurrences(of: "a@b", with: #"a\u0000b"#) + "]}"
        let line = Array(bad.utf8)
        // The fixture path (email skipped) and the whole-snapshot path (email kept) refuse it alike.
        guard case .failure(let error) = FixtureLineDecoder(format: .xraySnapshots, source: "s").result(line) else {
            Issue.record("accepted a NUL in an email")
            return
        }
        #expect(error.field == "samples[0].email")
        #expect(throws: error) { try XraySnapshotDecoder.decode(bad) }
    }

    @Test func windowPagesNameTheSnapshotAndField() {
        let page =
            #"{"node_id":"n","env":"e","has_more":false,"snapshots":[{"collected_at":"2026-11-01T00:00:00Z","node_id":"n","env":"e","samples":[\#(Self.sample)]},{"collected_at":"2026-11-01T00:01:00Z","node_id":"n","env":"e","samples":[\#(Self.sample.replacingOccurrences(of: "\"u1\"", with: "\"\(Self.long(5_000))\""))]}]}"#
        do {
            _ = try Array(page.utf8).withUnsafeBytes { try XraySnapshotDecoder.decodeWindowPage($0) }
            Issue.record("accepted a 5000-byte uuid")
        } catch let error as WireFormatError {
            #expect(error.field == "snapshots[1].samples[0].uuid", "\(error)")
            #expect(error.message == "5000 bytes long; a subject may have at most 256 bytes")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func labelsAtTheLimitAndPrintableUnicodeAreAccepted() throws {
        let line = Self.observation(
            subject: String(repeating: "é", count: 128), metric: Self.long(128),
            dimensions: "{\"\(Self.long(64))\":\"\(String(repeating: "€", count: 85))\"}",
            time: "2261-12-31T23:59:59.999999999Z")
        var out: [Observation] = []
        try FixtureLineDecoder(format: .observations, source: "s").decode(line, into: &out)
        #expect(out.count == 1)
        #expect(out.first?.series.subject.utf8.count == 256)
    }
}
