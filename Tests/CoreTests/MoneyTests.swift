import Core
import PropertyBased
import Testing

@Suite struct MoneyTests {
    @Test(arguments: [
        ("0", "0"), ("0.05", "0.05"), ("-12", "-12"), ("1.000000000000000001", "1.000000000000000001"),
        ("+3.10", "3.1"), ("170141183460469231731.687303715884105727", "170141183460469231731.687303715884105727"),
    ])
    func parsesAndPrintsCanonically(text: String, canonical: String) throws {
        #expect(try #require(Money(decimal: text)).description == canonical)
    }

    @Test(arguments: [
        "", "-", ".", "1.2.3", "1e5", "0.0000000000000000001", "1,000", "abc", "170141183460469231732",
    ])
    func rejectsWhatCouldHideARounding(text: String) {
        #expect(Money(decimal: text) == nil)
    }

    @Test func perGiBPriceIsExactAtEighteenDigits() throws {
        // 0.05 per GiB, 1 byte: 0.05 / 2^30 = 4.656612873077392578125e-11, rounded half-even at 18 digits.
        let price = try #require(Money(decimal: "0.05"))
        let oneByte = try price.multiplied(by: 1, dividedBy: 1 << 30)
        #expect(oneByte.description == "0.000000000046566129")
        let oneGiB = try price.multiplied(by: 1 << 30, dividedBy: 1 << 30)
        #expect(oneGiB == price)
    }

    @Test func hugeProductsUseWideIntermediates() throws {
        let price = try #require(Money(decimal: "1000"))
        let amount = try price.multiplied(by: UInt128(UInt64.max), dividedBy: 1_000_000_000)
        #expect(amount.description == "18446744073709.551615")
        #expect(throws: Money.ArithmeticError.self) {
            _ = try price.multiplied(by: UInt128(UInt64.max) * UInt128(UInt64.max), dividedBy: 1)
        }
    }

    @Test(arguments: [
        ("2.345", RoundingMode.halfEven, "2.34"), ("2.355", .halfEven, "2.36"), ("2.345", .halfUp, "2.35"),
        ("-2.345", .halfUp, "-2.35"), ("2.341", .up, "2.35"), ("2.349", .down, "2.34"),
        ("2.3450000001", .halfEven, "2.35"),
    ])
    func roundsOnceForPresentation(value: String, mode: RoundingMode, expected: String) throws {
        let money = try #require(Money(decimal: value))
        #expect(money.rounded(minorUnits: 2, mode: mode).formatted(fractionDigits: 2) == expected)
    }

    @Test func roundingMovesLessThanOneMinorUnit() async {
        await propertyCheck(input: Gen.int64(in: Int64.min / 2...Int64.max / 2)) { raw in
            let money = Money(scaled: Int128(raw) * 1_000)
            for mode in RoundingMode.allCases {
                let rounded = money.rounded(minorUnits: 2, mode: mode)
                let difference = (rounded - money).scaled.magnitude
                #expect(difference < UInt128(Money.one / 100))
            }
        }
    }

    @Test func sumsAreExactInAnyOrder() async {
        await propertyCheck(input: Gen.int64(in: 0...1_000_000_000).array(of: 1...50)) { quantities in
            let price = Money(scaled: 46_566_128_730_773_926)  // an awkward per-unit price
            let amounts = quantities.map { (try? price.multiplied(by: UInt128($0), dividedBy: 7)) ?? .zero }
            let forward = amounts.reduce(Money.zero, +)
            let backward = amounts.reversed().reduce(Money.zero, +)
            #expect(forward == backward)
        }
    }
}
