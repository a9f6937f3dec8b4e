/// The generator's pseudo-random numbers: SplitMix64 (Steele, Lea, Flood 2014).
///
/// Exists so a run is a pure function of the seed on every platform and Swift
/// version (the standard library's generator is neither seedable nor stable).
/// Public for the benchmarks' data, which must be as reproducible.
/// Every snapshot draws from its own instance keyed by (seed, stream, tick), so
/// the numbers never depend on what was generated before.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A generator for one (stream, tick) of a run, independent of every other.
    init(seed: UInt64, stream: UInt64, tick: UInt64) {
        state = Self.mix(seed ^ Self.mix(stream &* 0x9E37_79B9_7F4A_7C15 ^ Self.mix(tick &+ 0x632B_E59B_D9B4_E019)))
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer: a bijective 64-bit hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0), by Lemire's multiply-shift (the tiny
    /// bias is irrelevant for load generation and keeps the draw count fixed).
    mutating func below(_ bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }

    /// True with probability `chance`.
    mutating func happens(_ chance: Probability) -> Bool {
        if chance.perBillion == 0 { return false }
        if chance.perBillion >= Probability.scale { return true }
        return below(Probability.scale) < chance.perBillion
    }
}
