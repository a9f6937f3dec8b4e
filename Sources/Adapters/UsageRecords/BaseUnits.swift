/// Exact conversion of a decimal `usage_amount` to integer base units.
///
/// Exists because the platform sends decimals (`"1.5"`, `0.002`, `1e3`) and a
/// bill must never round silently: `amount × unit_scale` has to be a whole,
/// non-negative number that fits 64 bits, or the record is refused.
public enum BaseUnits {
    /// Why an amount cannot be converted.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case negative
        case notWhole(scale: UInt64)
        case tooLarge
        case malformed

        public var description: String {
            switch self {
            case .negative: "must not be negative"
            case .notWhole(let scale):
                "is not a whole number of base units (× unit_scale \(scale)); amounts are never rounded"
            case .tooLarge: "is too large: the base units exceed 2^64 - 1"
            case .malformed: "is not a decimal number"
            }
        }
    }

    /// `text` (JSON number grammar) × `scale`, exactly.
    public static func convert(_ text: String, scale: UInt64) -> Result<UInt64, Refusal> {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var exponent = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let c = bytes[index]
            if c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                digits.append(c - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            } else if c == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard let value = Int(String(decoding: bytes[(index + 1)...], as: UTF8.self)),
                    abs(value) <= 10_000
                else { return .failure(.malformed) }
                exponent = value
                break
            } else {
                return .failure(.malformed)
            }
            index += 1
        }
        guard !digits.isEmpty else { return .failure(.malformed) }
        // Significant digits only: leading zeros dropped, trailing zeros into the exponent.
        var power = exponent - fractionDigits
        while let last = digits.last, last == 0, digits.count > 1 {
            digits.removeLast()
            power += 1
        }
        while digits.count > 1, digits[0] == 0 { digits.removeFirst() }
        if digits == [0] { return .success(0) }
        if negative { return .failure(.negative) }
        guard digits.count <= 38 else { return .failure(power >= 0 ? .tooLarge : .notWhole(scale: scale)) }
        var mantissa: UInt128 = 0
        for digit in digits { mantissa = mantissa * 10 + UInt128(digit) }
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: UInt128(scale))
        guard !overflow else { return .failure(power >= 0 ? .tooLarge : .notWhole(scale: scale)) }
        var value = product
        if power >= 0 {
            for _ in 0..<power {
                let (next, over) = value.multipliedReportingOverflow(by: 10)
                guard !over, next <= UInt128(UInt64.max) else { return .failure(.tooLarge) }
                value = next
            }
        } else {
            for _ in 0..<(-power) {
                guard value % 10 == 0 else { return .failure(.notWhole(scale: scale)) }
                value /= 10
            }
        }
        guard value <= UInt128(UInt64.max) else { return .failure(.tooLarge) }
        return .success(UInt64(value))
    }
}
