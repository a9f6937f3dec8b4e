import Core
import Rating

/// An order-sensitive 64-bit FNV-1a checksum over every field of metering and rating
/// output: fact ids, series keys, intervals, quantities, flags, amounts, currency,
/// price book, changed baselines and stats.
///
/// Exists so a regression golden can pin the exact output of a large generated
/// stream in one number: any behaviour change anywhere in metering or rating
/// (an id, a split, a flag, a rounding) changes it.
struct FactChecksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    mutating func add<T: FixedWidthInteger>(_ integer: T) {
        var v = integer.bigEndian
        withUnsafeBytes(of: &v) { for b in $0 { add(byte: b) } }
    }

    /// Length-prefixed, so adjacent strings cannot run into each other.
    mutating func add(_ text: String) {
        add(UInt32(text.utf8.count))
        for b in text.utf8 { add(byte: b) }
    }

    mutating func add(_ digest: Digest128) {
        add(digest.high)
        add(digest.low)
    }

    mutating func add(_ time: Timestamp) { add(time.nanosecondsSinceEpoch) }

    mutating func add(_ series: SeriesKey) {
        add(series.source)
        add(series.subject)
        add(series.metric)
        add(UInt32(series.dimensions.count))
        for d in series.dimensions {
            add(d.key)
            add(d.value)
        }
    }

    mutating func add(_ fact: UsageFact) {
        add(fact.id)
        add(fact.series)
        add(fact.from)
        add(fact.to)
        add(fact.minute)
        add(fact.quantity)
        add(fact.flags.rawValue)
        add(fact.amount.scaled)
        add(fact.currency)
        add(fact.priceBook)
    }

    /// Baselines in digest order (a dictionary's own order is not stable).
    mutating func add(_ baselines: [SeriesDigest: Baseline]) {
        add(UInt64(baselines.count))
        for digest in baselines.keys.sorted() {
            add(digest)
            if let baseline = baselines[digest] {
                add(baseline.time)
                add(baseline.value)
            }
        }
    }

    mutating func add(_ stats: MeteringStats) {
        for n in [
            stats.observations, stats.metered, stats.facts, stats.resets, stats.gaps, stats.duplicates, stats.late,
            stats.baselined, stats.initial, stats.zero, stats.overflows,
        ] {
            add(Int64(n))
        }
    }

    mutating func add(_ stats: RatingStats) {
        add(Int64(stats.rated))
        for metric in stats.unpriced.keys.sorted() {
            add(metric)
            add(Int64(stats.unpriced[metric] ?? 0))
        }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
