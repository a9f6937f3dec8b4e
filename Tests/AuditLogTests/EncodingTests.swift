import Core
import Testing

@testable import AuditLog

/// The hand-written canonical encoder agrees with Core's own spellings and with the parser.
@Suite struct EncodingTests {
    @Test(arguments: [
        "0", "0.05", "-12", "1.000000000000000001", "-0.000000000000000001", "123456789012345678901.5",
        "18446744073709551616", "170141183460469231731.687303715884105727", "-170141183460469231731.687303715884105728",
    ])
    func moneyIsSpelledLikeMoneyDescription(_ text: String) throws {
        let money = Money(decimal: text) ?? Money(scaled: Int128.min)
        var writer = CanonicalJSONWriter()
        writer.money(money)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"\(money.description)\"")
    }

    @Test(arguments: [
        "1970-01-01T00:00:00Z", "2026-11-01T00:05:00Z", "2026-11-01T00:04:00.5Z", "1969-12-31T23:59:59.999999999Z",
        "2262-04-11T23:47:16.854775807Z", "2024-02-29T12:00:00.000000001Z",
    ])
    func timestampsAreSpelledLikeCore(_ text: String) throws {
        let time = try #require(Timestamp(rfc3339: text))
        var writer = CanonicalJSONWriter()
        writer.timestamp(time)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"\(time.rfc3339(fractionalDigits: .automatic))\"")
    }

    @Test(arguments: [
        ("plain", #""plain""#), ("q\"b\\s", #""q\"b\\s""#), ("\n\t\r\u{8}\u{c}", #""\n\t\r\b\f""#),
        ("\u{1}\u{1f}\u{7f}", #""\u0001\u001f\u007f""#), ("é€😀/", "\"é€😀/\""),
    ])
    func stringsAreEscapedCanonically(_ value: String, _ expected: String) throws {
        var writer = CanonicalJSONWriter()
        writer.string(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
        #expect(try AuditJSONParser.parse(writer.bytes) == .string(value))
    }

    @Test func uuidMatchesDigestText() {
        let id = Digest128(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        var writer = CanonicalJSONWriter()
        writer.uuid(id)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"\(id.uuidString)\"")
    }

    @Test(arguments: [
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":01}", "{\"a\":1,\"a\":2}", "{\"a\":\"\u{1}\"}", "{\"a\":1}x", "[1,]",
    ])
    func parserRejects(_ text: String) {
        #expect(throws: AuditJSONParser.Failure.self) { try AuditJSONParser.parse(Array(text.utf8)) }
    }

    @Test func duplicateDimensionKeysAreRefused() {
        var chain = AuditChain.genesis
        var writer = CanonicalJSONWriter()
        var f = fact(1)
        f.series = SeriesKey(
            source: "s", subject: "x", metric: "m",
            sortedDimensions: [Dimension("b", "1"), Dimension("a", "2"), Dimension("a", "3")])
        #expect(throws: AuditLineEncoder.EncodingProblem.self) {
            try AuditLineEncoder.appendUsage(f, pipeline: "p", batch: 1, chain: &chain, to: &writer)
        }
        #expect(writer.bytes.isEmpty)
        #expect(chain == .genesis)
    }

    @Test func fileNamesRoundTripAndOrder() throws {
        let name = AuditFileName(firstSeq: 42, day: Timestamp.daysFromCivil(year: 2026, month: 11, day: 2))
        #expect(name.text == "audit-00000000000000000042-20261102.jsonl")
        #expect(AuditFileName(name.text) == name)
        #expect(AuditFileName("audit-42-20261102.jsonl") == nil)
        #expect(AuditFileName(firstSeq: 9, day: 30000) < AuditFileName(firstSeq: 10, day: 1))
    }
}
