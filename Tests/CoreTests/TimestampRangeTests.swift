import Core
import Testing
import YAMLConfig

/// The accepted years, the parse errors that say what is wrong, and arithmetic
/// that saturates instead of trapping (a push once killed the daemon with SIGILL).
@Suite struct TimestampRangeTests {
    static let second: Int64 = 1_000_000_000

    @Test func theAcceptedRangeIsTheAcceptedYears() throws {
        #expect(Timestamp.acceptedRange.lowerBound == Timestamp(rfc3339: "1970-01-01T00:00:00Z"))
        #expect(Timestamp.acceptedRange.upperBound == Timestamp(rfc3339: "2262-01-01T00:00:00Z"))
        #expect(Timestamp.acceptedYears == 1970...2261)
        let last = try Timestamp.parse(rfc3339: "2261-12-31T23:59:59.999999999Z", acceptedOnly: true)
        #expect(last.isAccepted)
        // The margin: a month's end and a day's step beyond the last accepted instant fit in Int64.
        #expect(last.addingExactly(nanoseconds: 86_400 * Self.second * 90) != nil)
    }

    @Test(arguments: [
        ("2262-04-01T00:00:00Z", TimestampParseError.notAccepted(year: 2262)),
        ("2262-01-01T00:00:00Z", .notAccepted(year: 2262)),
        ("1969-12-31T23:59:59Z", .notAccepted(year: 1969)),
        ("1677-09-22T00:00:00Z", .notAccepted(year: 1677)),
        ("1678-01-01T00:00:00Z", .notAccepted(year: 1678)),
        ("2261-12-31T23:00:00-01:00", .notAccepted(year: 2262)),
        ("2263-01-01T00:00:00Z", .unrepresentable(year: 2263)),
        ("9999-12-31T23:59:59Z", .unrepresentable(year: 9999)),
        ("0000-01-01T00:00:00Z", .unrepresentable(year: 0)),
        ("1677-09-21T00:00:00Z", .unrepresentable(year: 1677)),
        ("2026-13-01T00:00:00Z", .malformed),
        ("yesterday", .malformed),
    ])
    func outOfRangeSaysWhy(text: String, expected: TimestampParseError) {
        #expect(throws: expected) { try Timestamp.parse(rfc3339: text, acceptedOnly: true) }
    }

    @Test func messagesNameTheYearAndTheRange() {
        #expect(
            TimestampParseError.notAccepted(year: 2262).description
                == "year 2262 is outside the accepted years 1970…2261")
        #expect(TimestampParseError.unrepresentable(year: 9999).description.hasPrefix("year 9999 is outside"))
        #expect(TimestampParseError.malformed.description.hasPrefix("not an RFC 3339 timestamp"))
    }

    @Test func withoutAcceptedOnlyEveryRepresentableInstantParses() throws {
        #expect(try Timestamp.parse(rfc3339: "2262-04-11T23:47:16.854775807Z").nanosecondsSinceEpoch == .max)
        #expect(try Timestamp.parse(rfc3339: "1969-12-31T23:59:59Z").nanosecondsSinceEpoch == -Self.second)
        #expect(throws: TimestampParseError.unrepresentable(year: 2262)) {
            try Timestamp.parse(rfc3339: "2262-04-11T23:47:16.854775808Z")
        }
        #expect(Timestamp(rfc3339: "2262-04-12T00:00:00Z") == nil)
    }

    @Test func arithmeticSaturatesInsteadOfTrapping() {
        let max = Timestamp(nanosecondsSinceEpoch: .max)
        let min = Timestamp(nanosecondsSinceEpoch: .min)
        #expect(max.adding(nanoseconds: 1) == max)
        #expect(min.adding(nanoseconds: -1) == min)
        #expect(max.adding(.seconds(86_400)) == max)
        #expect(max.addingExactly(nanoseconds: 1) == nil)
        #expect(min.minuteStart == min)
        #expect(Timestamp.minuteStart(index: .max) == max)
        #expect(Timestamp(secondsSinceEpoch: 10_000_000_000) == max)
        #expect(Timestamp(secondsSinceEpoch: -10_000_000_000) == min)
        #expect(Timestamp(exactlySecondsSinceEpoch: 10_000_000_000) == nil)
        #expect(Timestamp(exactlySecondsSinceEpoch: 60)?.nanosecondsSinceEpoch == 60 * Self.second)
        #expect(Duration.seconds(Int64.max).totalNanoseconds == .max)
        #expect((Duration.zero - .seconds(Int64.max)).totalNanoseconds == .min)
        #expect(Duration.milliseconds(1_500).totalNanoseconds == 1_500_000_000)
    }
}

/// A config timestamp beyond what a timestamp holds names the year, not "expected RFC 3339".
@Suite struct ConfigTimestampMessageTests {
    @Test func aFarYearIsNamed() throws {
        let node = try YAMLDocument.parse("start: 2263-01-01T00:00:00Z\nend: 2026-02-30T00:00:00Z", file: "t.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "sources.g", diagnostics: diagnostics)
        #expect(map.timestamp("start") == nil)
        #expect(map.timestamp("end") == nil)
        let problems = diagnostics.problems.map(\.description)
        #expect(problems.count == 2)
        #expect(problems.first?.hasPrefix("sources.g.start (line 1): year 2263 is outside the accepted years") == true)
        #expect(problems.last?.contains("expected an RFC 3339 timestamp such as") == true)
    }
}
