/// A five-field cron expression in UTC (`minute hour day-of-month month
/// day-of-week`), such as `5 0 1 * *` for 00:05 on the 1st of every month.
///
/// Written here rather than taken from a package: the mirror has no cron
/// library, and the daemon needs only the standard fields (numbers, `*`,
/// ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`; day-of-week 0 or 7 is
/// Sunday). As in Vixie cron, when both day fields are restricted a day
/// matching either runs.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let dayRestricted: Bool
    let weekdayRestricted: Bool

    /// Why an expression is not a schedule, naming the field.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Invalid) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw Invalid(
                description:
                    "a cron schedule has 5 fields (minute hour day month weekday), found \(fields.count) in \"\(text)\""
            )
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        days = try Self.field(fields[2], name: "day of month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12)
        let weekdayField = try Self.field(fields[4], name: "day of week", range: 0...7)
        weekdays = Set(weekdayField.map { $0 % 7 })
        dayRestricted = fields[2] != "*"
        weekdayRestricted = fields[4] != "*"
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>) throws(Invalid) -> Set<Int> {
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Invalid(description: "\(name) field \"\(text)\": more than one /") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else {
                    throw Invalid(description: "\(name) field \"\(text)\": the step must be a positive number")
                }
                step = value
            }
            let base = pieces[0]
            var low = range.lowerBound
            var high = range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let first = Int(bounds[0]), let last = Int(bounds.last ?? bounds[0]) else {
                    throw Invalid(description: "\(name) field \"\(text)\": expected a number, a range a-b or *")
                }
                low = first
                // `a-b`, `a-b/n`; `a/n` runs from a to the field's end; `a` alone.
                high = bounds.count == 2 ? last : (pieces.count == 2 ? range.upperBound : first)
            }
            guard range.contains(low), range.contains(high), low <= high else {
                throw Invalid(
                    description:
                        "\(name) field \"\(text)\": values must be within \(range.lowerBound)-\(range.upperBound)")
            }
            out.formUnion(stride(from: low, through: high, by: step))
        }
        return out
    }

    func runs(onDay day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (dayRestricted, weekdayRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }

    /// The first minute strictly after `time` the schedule runs at; nil if none
    /// within eight years (an impossible date such as `0 0 31 2 *`).
    public func next(after time: Timestamp) -> Timestamp? {
        let minute = time.minuteIndex + 1
        var day = minute / 1440
        var fromMinute = Int(minute % 1440)
        for _ in 0..<(8 * 366) {
            let (_, month, dayOfMonth) = Timestamp.civilFromDays(day)
            // 1970-01-01 was a Thursday (4).
            let weekday = Int(((day % 7) + 7 + 4) % 7)
            if runs(onDay: Int(dayOfMonth), month: Int(month), weekday: weekday) {
                for hour in hours.sorted() where hour * 60 + 59 >= fromMinute {
                    for minuteOfHour in minutes.sorted() where hour * 60 + minuteOfHour >= fromMinute {
                        return Timestamp.minuteStart(index: day * 1440 + Int64(hour * 60 + minuteOfHour))
                    }
                }
            }
            day += 1
            fromMinute = 0
        }
        return nil
    }
}
