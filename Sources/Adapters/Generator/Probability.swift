/// A probability written as a decimal string in config (`"0.001"`), held as an
/// integer number of billionths.
///
/// Exists because the project keeps binary floating point out of everything it
/// computes: `0.1` has no exact `Double`, but it is exactly 100 000 000 per billion.
public struct Probability: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// One billion: the denominator.
    public static let scale: UInt64 = 1_000_000_000

    /// The probability times 10^9, in `0...scale`.
    public let perBillion: UInt64

    public static let never = Probability(exactly: 0)
    public static let always = Probability(exactly: scale)

    /// `nil` when `perBillion` exceeds `scale`.
    public init?(perBillion: UInt64) {
        guard perBillion <= Self.scale else { return nil }
        self.perBillion = perBillion
    }

    private init(exactly perBillion: UInt64) {
        self.perBillion = perBillion
    }

    /// Parses `0`, `1`, `0.5`, `1.0`, `.25`, `0.000000001`: a decimal in [0, 1] with at
    /// most nine fractional digits. No exponent, sign or percent.
    public init?(decimal text: String) {
        let bytes = Array(text.utf8)
        var index = 0
        var whole: UInt64 = 0
        var wholeDigits = 0
        while index < bytes.count, let d = Self.digit(bytes[index]) {
            guard wholeDigits < 2 else { return nil }
            whole = whole * 10 + d
            wholeDigits += 1
            index += 1
        }
        var fraction: UInt64 = 0
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, let d = Self.digit(bytes[index]) {
                guard fractionDigits < 9 else { return nil }
                fraction = fraction * 10 + d
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard index == bytes.count, wholeDigits + fractionDigits > 0 else { return nil }
        for _ in fractionDigits..<9 { fraction *= 10 }
        let total = whole * Self.scale + fraction
        guard total <= Self.scale else { return nil }
        self.init(exactly: total)
    }

    private static func digit(_ byte: UInt8) -> UInt64? {
        byte >= 0x30 && byte <= 0x39 ? UInt64(byte - 0x30) : nil
    }

    public static func < (lhs: Probability, rhs: Probability) -> Bool { lhs.perBillion < rhs.perBillion }

    /// The shortest decimal form (`0.001`, `1`, `0`).
    public var description: String {
        if perBillion == Self.scale { return "1" }
        if perBillion == 0 { return "0" }
        var digits = String(perBillion)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return "0." + digits
    }
}
