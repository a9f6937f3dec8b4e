/// The faults the real exporters show, decided per stream (an xray node or a VM)
/// per tick: skipped snapshots (gap), a snapshot held back and sent after the next
/// one (out of order), a snapshot sent twice (duplicate).
///
/// Exists so both families misbehave by the same rules; counter resets are applied
/// to the counters by each family.
struct StreamDisruption<Record> {
    /// Ticks of the current gap still to skip.
    private var gapRemaining = 0
    /// The tick after a gap always sends, so a gap ends with a snapshot.
    private var mustSendNext = false
    /// The snapshot waiting to be sent after the next one.
    private(set) var held: Record?

    /// The draws for one tick, made before the counters move so that their number is fixed.
    struct Rolls {
        var gap: Bool
        var gapLength: Int
        var reset: Bool
        var outOfOrder: Bool
        var duplicate: Bool

        init(_ rng: inout SplitMix64, settings: GeneratorSettings) {
            gap = rng.happens(settings.gap)
            gapLength = 1 + Int(rng.below(UInt64(settings.maxGapIntervals)))
            reset = rng.happens(settings.counterReset)
            outOfOrder = rng.happens(settings.outOfOrder)
            duplicate = rng.happens(settings.duplicate)
        }
    }

    /// What the stream does this tick.
    enum Plan {
        /// Nothing is sent (a gap), except a held snapshot on the last tick.
        case skip
        /// The tick's snapshot is built, and `send` applied to it.
        case send
    }

    /// Decides whether this tick's snapshot exists.
    mutating func plan(_ rolls: Rolls, stats: inout GeneratorStatistics) -> Plan {
        if gapRemaining > 0 {
            gapRemaining -= 1
            mustSendNext = gapRemaining == 0
            stats.skipped += 1
            return .skip
        }
        if !mustSendNext && rolls.gap {
            gapRemaining = rolls.gapLength - 1
            mustSendNext = gapRemaining == 0
            stats.gaps += 1
            stats.skipped += 1
            return .skip
        }
        mustSendNext = false
        return .send
    }

    /// Whether this tick's snapshot will be held back (then it must be built even
    /// when the caller is only fast-forwarding).
    func willHold(_ rolls: Rolls, isLastTick: Bool) -> Bool {
        held == nil && rolls.outOfOrder && !isLastTick
    }

    /// Appends what goes on the wire this tick: the snapshot, then a held one after it;
    /// or nothing while holding this one; a duplicate repeats the last record sent.
    /// On the run's last tick a held snapshot is flushed.
    mutating func send(
        _ record: Record?, rolls: Rolls, isLastTick: Bool, into out: inout [Record], emit: Bool,
        stats: inout GeneratorStatistics
    ) {
        let start = out.count
        var sentCount = 0
        if let record {
            if let previous = held {
                if emit {
                    out.append(record)
                    out.append(previous)
                }
                held = nil
                sentCount = 2
            } else if rolls.outOfOrder && !isLastTick {
                held = record
                stats.reordered += 1
            } else {
                if emit { out.append(record) }
                sentCount = 1
            }
            if rolls.duplicate && sentCount > 0 {
                if emit, let last = out.last, out.count > start { out.append(last) }
                sentCount += 1
                stats.duplicates += 1
            }
        }
        if isLastTick, let previous = held {
            if emit { out.append(previous) }
            held = nil
            sentCount += 1
        }
        stats.records += UInt64(sentCount)
    }
}

/// Counts of what a run sent and which faults it injected.
public struct GeneratorStatistics: Hashable, Sendable, Codable {
    /// Records (snapshots or VM batches) sent, duplicates included.
    public var records: UInt64 = 0
    /// Counter resets (a node's proxy or a VM restarted).
    public var resets: UInt64 = 0
    /// Records sent a second time.
    public var duplicates: UInt64 = 0
    /// Records sent after their successor.
    public var reordered: UInt64 = 0
    /// Gaps started.
    public var gaps: UInt64 = 0
    /// Ticks of a stream with nothing sent because of a gap.
    public var skipped: UInt64 = 0

    public init() {}
}
