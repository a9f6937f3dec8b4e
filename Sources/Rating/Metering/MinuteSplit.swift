public import Core

/// Exact integer splits of an interval's quantity over the UTC minutes it covers.
///
/// Both splits cut `[from, to)` at minute boundaries; each part is attributed to
/// the minute its piece starts in. When `to` is exactly a minute boundary no time
/// elapsed in that minute, so it gets no part (with `attribute: end` the whole
/// increase would go to the minute of `to`).
public enum MinuteSplit {
    /// Splits `quantity` in proportion to the time each minute covers: every part but
    /// the last is `⌊quantity × piece ÷ interval⌋` and the last minute gets the rest, so
    /// the parts sum exactly to `quantity`. Zero parts are not reported.
    public static func spread(
        _ quantity: UInt64, from: Timestamp, to: Timestamp, _ emit: (_ minute: Timestamp, _ part: UInt64) -> Void
    ) {
        let start = from.nanosecondsSinceEpoch
        let end = to.nanosecondsSinceEpoch
        guard end > start else {
            if quantity > 0 { emit(to.minuteStart, quantity) }
            return
        }
        let total = UInt128(end - start)
        var assigned: UInt64 = 0
        var cursor = start
        var minute = from.minuteIndex
        while cursor < end {
            let boundary = (minute + 1) * Timestamp.nanosecondsPerMinute
            let pieceEnd = min(boundary, end)
            let part: UInt64
            if pieceEnd == end {
                part = quantity - assigned
            } else {
                // quantity × piece ≤ (2⁶⁴−1)(2⁶³−1) fits in 128 bits; the quotient ≤ quantity.
                part = UInt64(UInt128(quantity) * UInt128(pieceEnd - cursor) / total)
            }
            assigned += part
            if part > 0 { emit(Timestamp.minuteStart(index: minute), part) }
            cursor = pieceEnd
            minute += 1
        }
    }

    /// Integrates a constant `level` (bytes) over `[from, to)` in level-seconds
    /// (byte-seconds), split at minute boundaries.
    ///
    /// Timestamps are nanoseconds, so a piece's exact integral `level × ns ÷ 10⁹` may
    /// have a fraction. The split is anchored at the epoch: the integral credited up
    /// to instant `x` at this level is `I(x) = ⌊level × x_ns ÷ 10⁹⌋`, and a piece
    /// `[a, b)` gets `I(b) − I(a)`. Consequences: the parts of one interval sum exactly
    /// to `I(to) − I(from)`; with whole-second timestamps every part is exact (no
    /// rounding at all); a level held across several intervals telescopes, so
    /// sub-second remainders are neither lost nor invented however often it was
    /// observed; only at a level change can the total differ from the real-valued
    /// integral, by less than one byte-second.
    ///
    /// Returns the number of parts that did not fit in `UInt64` (not emitted).
    @discardableResult
    public static func integral(
        level: UInt64, from: Timestamp, to: Timestamp, _ emit: (_ minute: Timestamp, _ part: UInt64) -> Void
    ) -> Int {
        let start = from.nanosecondsSinceEpoch
        let end = to.nanosecondsSinceEpoch
        guard end > start, level > 0 else { return 0 }
        var overflows = 0
        var cursor = start
        var minute = from.minuteIndex
        var credited = credit(level: level, at: start)
        while cursor < end {
            let boundary = (minute + 1) * Timestamp.nanosecondsPerMinute
            let pieceEnd = min(boundary, end)
            let next = credit(level: level, at: pieceEnd)
            let part = next - credited
            if part > Int128(UInt64.max) {
                overflows += 1
            } else if part > 0 {
                emit(Timestamp.minuteStart(index: minute), UInt64(part))
            }
            credited = next
            cursor = pieceEnd
            minute += 1
        }
        return overflows
    }

    /// `⌊level × ns ÷ 10⁹⌋` with floor division (instants before 1970 included).
    /// `level × ns` is at most (2⁶⁴−1)·2⁶³ < 2¹²⁷ in magnitude, so it fits in Int128.
    static func credit(level: UInt64, at ns: Int64) -> Int128 {
        let product = Int128(level) * Int128(ns)
        let divisor = Int128(Timestamp.nanosecondsPerSecond)
        let (q, r) = product.quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? q - 1 : q
    }
}
