import Core
import Testing

/// The daemon's `service.invoicing.schedule`: five cron fields in UTC.
@Suite struct CronScheduleTests {
    func at(_ text: String) throws -> Timestamp { try #require(Timestamp(rfc3339: text)) }

    func next(_ expression: String, after time: String) throws -> String? {
        try CronSchedule(expression).next(after: at(time))?.rfc3339(fractionalDigits: .none)
    }

    @Test func theMonthlyRunIsAtFivePastMidnightOnTheFirst() throws {
        #expect(try next("5 0 1 * *", after: "2026-12-01T19:26:00Z") == "2027-01-01T00:05:00Z")
        #expect(try next("5 0 1 * *", after: "2026-11-30T23:59:59Z") == "2026-12-01T00:05:00Z")
        // Strictly after: the run at 00:05 does not find itself again.
        #expect(try next("5 0 1 * *", after: "2026-12-01T00:05:00Z") == "2027-01-01T00:05:00Z")
        #expect(try next("5 0 1 * *", after: "2026-12-01T00:04:59.999Z") == "2026-12-01T00:05:00Z")
    }

    @Test func stepsRangesListsAndWeekdays() throws {
        #expect(try next("*/15 * * * *", after: "2026-12-01T10:16:00Z") == "2026-12-01T10:30:00Z")
        #expect(try next("0 9-17/4 * * *", after: "2026-12-01T13:00:00Z") == "2026-12-01T17:00:00Z")
        #expect(try next("0 9-17/4 * * *", after: "2026-12-01T17:00:00Z") == "2026-12-02T09:00:00Z")
        #expect(try next("30 6 * * 1", after: "2026-12-01T00:00:00Z") == "2026-12-07T06:30:00Z")  // a Monday
        #expect(try next("30 6 * * 7", after: "2026-12-01T00:00:00Z") == "2026-12-06T06:30:00Z")  // 7 is Sunday
        #expect(try next("0 0 1,15 * *", after: "2026-12-02T00:00:00Z") == "2026-12-15T00:00:00Z")
        // Both day fields restricted: either runs (the 15th, or a Monday before it).
        #expect(try next("0 0 15 * 1", after: "2026-12-01T00:00:00Z") == "2026-12-07T00:00:00Z")
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
        #expect(try next("0 0 31 2 *", after: "2026-03-01T00:00:00Z") == nil)
    }

    @Test func badExpressionsNameTheField() {
        let cases: [(String, String)] = [
            ("5 0 1 *", "a cron schedule has 5 fields"),
            ("61 0 1 * *", "minute field \"61\": values must be within 0-59"),
            ("0 24 * * *", "hour field \"24\""),
            ("0 0 0 * *", "day of month field \"0\""),
            ("0 0 * 13 *", "month field \"13\""),
            ("0 0 * * 8", "day of week field \"8\""),
            ("*/0 * * * *", "the step must be a positive number"),
            ("5-1 * * * *", "minute field \"5-1\""),
            ("x * * * *", "minute field \"x\": expected a number"),
        ]
        for (expression, message) in cases {
            #expect {
                try CronSchedule(expression)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
