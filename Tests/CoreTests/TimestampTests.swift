import Core
import Foundation
import PropertyBased
import Testing

@Suite struct TimestampTests {
    static let second: Int64 = 1_000_000_000
    static let nov1: Int64 = 1_793_491_200 * second  // 2026-11-01T00:00:00Z
    static let parseCases: [(String, Int64)] = [
        ("1970-01-01T00:00:00Z", 0),
        ("2026-11-01T00:00:00Z", nov1),
        ("2026-11-01T00:00:00.5Z", nov1 + 500_000_000),
        ("2026-11-01T00:00:00.123456789Z", nov1 + 123_456_789),
        ("2026-11-01T03:00:00+03:00", nov1),
        ("2026-10-31T23:30:00-00:30", nov1),
        ("2024-02-29T12:00:00z", 1_709_208_000 * second),
        ("1969-12-31T23:59:59Z", -second),
    ]

    @Test(arguments: parseCases)
    func parsesRFC3339(text: String, nanoseconds: Int64) {
        #expect(Timestamp(rfc3339: text)?.nanosecondsSinceEpoch == nanoseconds)
    }

    @Test(arguments: [
        "", "2026-11-01", "2026-11-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T00:00:00.Z", "2026-11-01T00:00:00Zjunk",
        "2026-11-01T00:00:00+0300", "20261101T000000Z",
    ])
    func rejectsWhatIsNotRFC3339(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func formatsWithAndWithoutNanoseconds() throws {
        let t = try #require(Timestamp(rfc3339: "2026-11-01T12:34:56.000000007Z"))
        #expect(t.rfc3339(fractionalDigits: .automatic) == "2026-11-01T12:34:56.000000007Z")
        #expect(t.rfc3339(fractionalDigits: .none) == "2026-11-01T12:34:56Z")
        #expect(t.minuteStart.rfc3339(fractionalDigits: .nanoseconds) == "2026-11-01T12:34:00.000000000Z")
    }

    @Test func minutesFloorBeforeTheEpochToo() {
        #expect(Timestamp(nanosecondsSinceEpoch: -1).minuteIndex == -1)
        #expect(Timestamp(nanosecondsSinceEpoch: 59_999_999_999).minuteIndex == 0)
        #expect(Timestamp(nanosecondsSinceEpoch: 60_000_000_000).minuteIndex == 1)
    }

    @Test func formatThenParseIsTheIdentity() async {
        await propertyCheck(input: Gen.int64(in: -2_000_000_000_000_000_000...7_000_000_000_000_000_000)) { nanos in
            let t = Timestamp(nanosecondsSinceEpoch: nanos)
            #expect(Timestamp(rfc3339: t.rfc3339(fractionalDigits: .nanoseconds)) == t)
        }
    }

    @Test func agreesWithFoundationOnWholeSeconds() async {
        let formatter = ISO8601DateFormatter()
        await propertyCheck(input: Gen.int64(in: 0...4_000_000_000)) { seconds in
            let ours = Timestamp(secondsSinceEpoch: seconds).rfc3339(fractionalDigits: .none)
            #expect(ours == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
    }
}
