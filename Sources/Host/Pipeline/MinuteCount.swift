import Core

/// How many distinct UTC minutes a batch's facts fall in, and how many it
/// observed that yielded no fact (already metered: a replay, a duplicate or
/// late data), as job results report them.
///
/// Counted for every batch (a replay too) so one engine serves every command;
/// minutes are kept as integers and a run of equal minutes (the usual order of
/// metered facts) is inserted once, which keeps this under a few percent of
/// metering's cost (BENCHMARKS.md, issue 13).
struct MinuteCount {
    var written: Int
    var replayed: Int

    init(facts: [UsageFact], observations: [Observation]) {
        var factMinutes = Set<Int64>()
        var last = Int64.min
        for fact in facts {
            let minute = fact.minute.minuteIndex
            if minute != last {
                factMinutes.insert(minute)
                last = minute
            }
        }
        var replayedMinutes = Set<Int64>()
        last = Int64.min
        for observation in observations {
            let minute = observation.time.minuteIndex
            if minute != last {
                if !factMinutes.contains(minute) { replayedMinutes.insert(minute) }
                last = minute
            }
        }
        written = factMinutes.count
        replayed = replayedMinutes.count
    }
}
