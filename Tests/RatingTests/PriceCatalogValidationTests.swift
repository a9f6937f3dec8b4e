import Core
import Rating
import Testing

/// Bad price books are rejected with every problem's YAML path and line (issue 3, "Bad input").
@Suite struct PriceCatalogValidationTests {
    @Test func tiersMustBeSortedNonOverlappingAndEndOpen() {
        let found = catalogProblems(
            """
            version: "1"
            effective_from: "2026-11-01T00:00:00Z"
            currency: USD
            prices:
              - metric: traffic.downlink_bytes
                model: graduated
                unit: 1000000000
                tiers:
                  - { up_to: 100, unit_price: "0.08" }
                  - { up_to: 100, unit_price: "0.05" }
                  - { up_to: 50, unit_price: "0.04" }
                  - { unit_price: "0.02" }
              - metric: traffic.uplink_bytes
                model: volume
                unit: 1000000000
                tiers:
                  - { unit_price: "0.08" }
                  - { up_to: 10, unit_price: "-1" }
            """)
        #expect(
            found == [
                "prices[0].tiers[1].up_to (line 10): tiers must be sorted and must not overlap: 100 is not above 100",
                "prices[0].tiers[2].up_to (line 11): tiers must be sorted and must not overlap: 50 is not above 100",
                "prices[1].tiers[0] (line 17): only the last tier may omit up_to",
                "prices[1].tiers[1].unit_price (line 18): must not be negative",
                "prices[1].tiers[1].up_to (line 18): the last tier has no up_to (it covers everything above the previous one)",
            ])
    }

    @Test func twoVersionsAtTheSameMinuteAreRejected() {
        let found = catalogProblems(
            """
            versions:
              - version: "a"
                effective_from: "2026-11-01T00:00:00Z"
                currency: USD
                prices: []
              - version: "b"
                effective_from: "2026-11-01T00:00:00Z"
                currency: EUR
                prices: []
            """)
        #expect(
            found == [
                "versions[1].effective_from (line 6): two versions effective at the same minute 2026-11-01T00:00:00Z "
                    + "(\"a\" and \"b\")",
                "versions[1].currency (line 6): every version must use one currency (USD, not EUR)",
            ])
    }

    @Test func modelKeysMustFitTheModelAndPackagesNeedASize() {
        let found = catalogProblems(
            """
            version: "1"
            effective_from: "2026-11-01T00:00:00Z"
            currency: USD
            prices:
              - metric: vm.cpu_time_ns
                model: per_unit
                unit: 3600000000000
                unit_price: "0.04"
                tiers: []
              - metric: vm.cpu_time_ns
                model: package
                unit: 1
                package_size: 0
                package_price: "1"
                allowance: "x"
            """)
        #expect(
            found == [
                "prices[0].tiers (line 9): not used by model per_unit",
                "prices[1].allowance (line 15): expected a number of billed units such as 10 or \"2.5\" "
                    + "(at most 18 fractional digits), found \"x\"",
                "prices[1].package_size (line 13): must be greater than 0 (billed units per package)",
            ])
    }

    @Test func plansAndRecurringFeesAreValidated() {
        let found = catalogProblems(
            """
            plans:
              default: basic
              subject: { a: pro }
            version: "1"
            effective_from: "2026-11-01T00:00:00Z"
            currency: USD
            prices: []
            recurring:
              - { name: f, amount: "1" }
              - { name: f, amount: "-1" }
            """)
        #expect(
            found == [
                "plans.subject (line 3): unknown key (valid: default, subjects)",
                "recurring[1].amount (line 10): must not be negative",
            ])
    }
}
