/// An exact amount of money: a signed integer count of 10⁻¹⁸ currency units.
///
/// Why Int128 fixed point rather than Foundation `Decimal`: the range is
/// ±1.7·10²⁰ currency units at 18 fractional digits (far beyond any invoice),
/// addition is one machine add with no allocation and no normalisation, values
/// are plain `Hashable` integers that compare and sum exactly in any order, and
/// products go through 256-bit intermediates so quantity × price never loses a
/// digit before the single, named rounding step. `Decimal` has 38 significant
/// digits but variable exponent, so a sum of many small amounts can round
/// silently; here a sum of parts always equals the whole.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Fractional digits kept by the ledger.
    public static let scale = 18
    /// 10¹⁸: the number of raw units in one currency unit.
    public static let one: Int128 = 1_000_000_000_000_000_000

    /// Raw value in 10⁻¹⁸ currency units.
    public var scaled: Int128

    public static let zero = Money(scaled: 0)

    @inlinable
    public init(scaled: Int128) { self.scaled = scaled }

    /// A whole number of currency units.
    public init(units: Int64) { self.scaled = Int128(units) * Self.one }

    /// Parses a plain decimal string (`"0.05"`, `"-12"`, `"1.000000000000000001"`):
    /// optional sign, digits, optional point and at most 18 fractional digits.
    /// No exponent, no grouping, nothing that could hide a rounding.
    public init?(decimal text: String) {
        var utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return nil }
        var negative = false
        if utf8[0] == UInt8(ascii: "-") || utf8[0] == UInt8(ascii: "+") {
            negative = utf8[0] == UInt8(ascii: "-")
            utf8.removeFirst()
        }
        var integer: Int128 = 0
        var fraction: Int128 = 0
        var fractionDigits = 0
        var seenPoint = false
        var seenDigit = false
        for c in utf8 {
            if c == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            seenDigit = true
            let d = Int128(c - UInt8(ascii: "0"))
            if seenPoint {
                fractionDigits += 1
                guard fractionDigits <= Self.scale else { return nil }
                fraction = fraction * 10 + d
            } else {
                let (m, o1) = integer.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1, !o2 else { return nil }
                integer = a
            }
        }
        guard seenDigit else { return nil }
        for _ in fractionDigits..<Self.scale { fraction *= 10 }
        let (whole, o3) = integer.multipliedReportingOverflow(by: Self.one)
        guard !o3 else { return nil }
        let (total, o4) = whole.addingReportingOverflow(fraction)
        guard !o4 else { return nil }
        self.scaled = negative ? -total : total
    }

    /// The exact value as a decimal string with trailing fractional zeros removed
    /// (`"0.05"`, `"12"`, `"-0.000000000000000001"`). Canonical: one value, one string.
    public var description: String { Self.format(scaled, scale: Self.scale, minimumFractionDigits: 0) }

    /// The exact value with exactly `digits` fractional digits, which must not cut
    /// a non-zero digit (use `rounded` first).
    public func formatted(fractionDigits digits: Int) -> String {
        Self.format(scaled, scale: Self.scale, minimumFractionDigits: digits)
    }

    static func format(_ value: Int128, scale: Int, minimumFractionDigits: Int) -> String {
        let negative = value < 0
        let magnitude = value.magnitude
        let divisor = UInt128(Self.one)
        let integer = magnitude / divisor
        var fraction = magnitude % divisor
        var fractionText = ""
        if fraction != 0 || minimumFractionDigits > 0 {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: scale)
            var i = scale - 1
            while i >= 0 {
                digits[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
                i -= 1
            }
            var end = scale
            while end > minimumFractionDigits, digits[end - 1] == UInt8(ascii: "0") { end -= 1 }
            fractionText = String(decoding: digits[0..<end], as: UTF8.self)
        }
        var out = negative ? "-" : ""
        out += String(integer)
        if !fractionText.isEmpty { out += "." + fractionText }
        return out
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.scaled < rhs.scaled }

    @inlinable
    public static func + (lhs: Money, rhs: Money) -> Money { Money(scaled: lhs.scaled + rhs.scaled) }
    @inlinable
    public static func - (lhs: Money, rhs: Money) -> Money { Money(scaled: lhs.scaled - rhs.scaled) }
    @inlinable
    public static func += (lhs: inout Money, rhs: Money) { lhs.scaled += rhs.scaled }
    @inlinable
    public static prefix func - (value: Money) -> Money { Money(scaled: -value.scaled) }
}

/// A named rounding mode, applied once when presenting an amount (an invoice line).
public enum RoundingMode: String, Sendable, CaseIterable, Codable {
    /// Ties to the even neighbour (banker's rounding), the default.
    case halfEven = "half_even"
    /// Ties away from zero, as most invoices print by hand.
    case halfUp = "half_up"
    /// Toward zero.
    case down
    /// Away from zero.
    case up
}

extension Money {
    /// Errors of exact arithmetic: a result that does not fit is an error, never a wrap.
    public enum ArithmeticError: Error, Sendable, CustomStringConvertible {
        case overflow(String)
        case divisionByZero

        public var description: String {
            switch self {
            case .overflow(let what): return "amount out of range: \(what)"
            case .divisionByZero: return "division by zero"
            }
        }
    }

    /// Divides a non-negative 256-bit value by `divisor`, rounding the quotient by `mode`.
    static func divide(
        high: UInt128, low: UInt128, by divisor: UInt128, rounding mode: RoundingMode
    ) throws(ArithmeticError) -> UInt128 {
        guard divisor != 0 else { throw .divisionByZero }
        guard high < divisor else { throw .overflow("quotient exceeds 128 bits") }
        let (q, r) = divisor.dividingFullWidth((high: high, low: low))
        guard r != 0 else { return q }
        let roundUp: Bool
        switch mode {
        case .down: roundUp = false
        case .up: roundUp = true
        case .halfUp: roundUp = r >= divisor - r
        case .halfEven:
            let rest = divisor - r
            roundUp = r > rest || (r == rest && q & 1 == 1)
        }
        guard roundUp else { return q }
        let (next, overflow) = q.addingReportingOverflow(1)
        guard !overflow else { throw .overflow("quotient exceeds 128 bits") }
        return next
    }

    /// Exact `self × numerator ÷ denominator`, rounded once at the 18th fractional
    /// digit by `mode` (the ledger's precision). Intermediates are 256-bit, so no
    /// digit is lost before that single rounding.
    public func multiplied(
        by numerator: UInt128, dividedBy denominator: UInt128, rounding mode: RoundingMode = .halfEven
    ) throws(ArithmeticError) -> Money {
        let negative = scaled < 0
        let (high, low) = scaled.magnitude.multipliedFullWidth(by: numerator)
        let q = try Self.divide(high: high, low: low, by: denominator, rounding: mode)
        guard q <= UInt128(Int128.max) else { throw .overflow("\(self) × \(numerator) ÷ \(denominator)") }
        return Money(scaled: negative ? -Int128(q) : Int128(q))
    }

    /// This amount rounded to `minorUnits` fractional digits (2 for USD cents) by `mode`.
    /// Used only for presentation; the ledger keeps `self`.
    public func rounded(minorUnits: Int, mode: RoundingMode) -> Money {
        precondition((0...Self.scale).contains(minorUnits), "minor units must be 0...18")
        var step: UInt128 = 1
        for _ in 0..<(Self.scale - minorUnits) { step *= 10 }
        let magnitude = scaled.magnitude
        let q = magnitude / step
        let r = magnitude % step
        var units = q
        if r != 0 {
            let roundUp: Bool
            switch mode {
            case .down: roundUp = false
            case .up: roundUp = true
            case .halfUp: roundUp = r >= step - r
            case .halfEven: roundUp = r > step - r || (r == step - r && q & 1 == 1)
            }
            if roundUp { units += 1 }
        }
        let result = Int128(units * step)
        return Money(scaled: scaled < 0 ? -result : result)
    }
}
