/// A 128-bit identifier taken from the first 16 bytes of a SHA-256 digest.
///
/// Exists so fact ids and series digests are fixed-size values (two words,
/// cheap to hash and compare, a PostgreSQL `uuid`) rather than hex strings.
public struct Digest128: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads the first 16 bytes, big-endian.
    public init<Bytes: Collection<UInt8>>(prefixOf bytes: Bytes) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var index = 0
        for byte in bytes.prefix(16) {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            index += 1
        }
        self.init(high: high, low: low)
    }

    public static func < (lhs: Digest128, rhs: Digest128) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    /// 32 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical UUID text form (8-4-4-4-12 lowercase hex), as PostgreSQL prints `uuid`.
    public var uuidString: String {
        let h = Array(hex.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, c) in h.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses 32 hex digits, with or without the UUID dashes.
    public init?(hex text: String) {
        let digits = text.utf8.filter { $0 != UInt8(ascii: "-") }
        guard digits.count == 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, c) in digits.enumerated() {
            let v: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            if i < 16 { high = high << 4 | v } else { low = low << 4 | v }
        }
        self.init(high: high, low: low)
    }
}

extension Digest128: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let value = Digest128(hex: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a 128-bit hex id: \(text)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

/// A fact's deterministic identity: replaying the same observations yields the same ids.
public typealias FactID = Digest128
/// A series' identity in state (baselines are keyed by it, so state holds no label strings).
public typealias SeriesDigest = Digest128

extension Digest128 {
    /// The hash that `Dictionary` and `Set` buckets use: a short multiply-xorshift mix of
    /// both words with the table's seed, instead of the default SipHash-1-3 over 16 bytes.
    ///
    /// Digests are SHA-256 output, already uniformly distributed, and the series baseline
    /// table is probed once per metered observation: SipHash (hasher set-up, rounds,
    /// finalisation) was ~9% of metering time. The mix still depends on every bit and on
    /// the per-table seed, so bucket positions are not fixed across tables. Consistent
    /// with `==` (equal digests have equal words); `hash(into:)` stays the synthesized one.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int {
        var x = (high ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15
        x ^= low
        x ^= x >> 32
        x &*= 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        return Int(truncatingIfNeeded: x)
    }
}
