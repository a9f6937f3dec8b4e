import Core
import Foundation
import Rating
import TestKit
import Testing
import YAMLConfig

func loadBook(_ relativePath: String) throws -> PriceBook {
    let path = Repository.path(relativePath)
    return try PriceBookDecoder.decode(YAMLDocument.load(path: path), file: relativePath)
}

func parseBook(_ text: String) throws(ConfigError) -> PriceBook {
    try PriceBookDecoder.decode(YAMLDocument.parse(text, file: "book.yaml"), file: "book.yaml")
}

func problems(_ text: String) -> [String] {
    do {
        _ = try parseBook(text)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

@Suite struct PriceBookTests {
    @Test func theShippedExampleDecodes() throws {
        let book = try loadBook("examples/pricebook.yaml")
        #expect(book.version == "2026-11-01")
        #expect(book.currency == Currency(code: "USD", minorUnits: 2))
        #expect(book.rounding == .halfEven)
        #expect(book.prices.count == 9)
        #expect(book.prices[1].unit == 1_000_000_000)
        #expect(book.prices[1].model == .perUnit(unitPrice: try #require(Money(decimal: "0.05"))))
        #expect(book.prices[0].match == [Dimension("env", "staging")])
    }

    @Test func everyProblemIsReportedWithPathAndLine() {
        let found = problems(
            """
            version: "1"
            effective_from: "2026-11-01T00:00:30Z"
            currency: USX
            colour: blue
            prices:
              - metric: traffic.downlink_byte
                model: per_unit
                unit: 0
                unit_price: "-0.05"
              - metric: vm.cpu_time_ns
                model: tiered
                unit: 3600000000000
              - metric: vm.cpu_time_ns
                model: per_unit
                unit: 10
                unit_price: "0.1.2"
            """)
        #expect(
            found == [
                "effective_from (line 2): must be the start of a minute (seconds and fraction zero)",
                "currency (line 3): unknown currency \"USX\" (an ISO 4217 code such as USD, EUR, JPY)",
                "prices[0].metric (line 6): unknown metric \"traffic.downlink_byte\" (known: traffic.downlink_bytes, "
                    + "traffic.uplink_bytes, vm.cpu_time_ns, vm.disk_read_bytes, vm.disk_read_ops, "
                    + "vm.disk_write_bytes, vm.disk_write_ops, vm.memory_byte_seconds, vm.network_rx_bytes, "
                    + "vm.network_tx_bytes; declare others in the "
                    + "top-level metrics list)",
                "prices[0].unit (line 8): must be greater than 0 (base units per billed unit)",
                "prices[0].unit_price (line 9): must not be negative",
                "prices[1].model (line 11): unknown value \"tiered\" (valid: per_unit, graduated, volume, package)",
                "prices[2].unit_price (line 16): expected a decimal amount such as \"0.05\" (at most 18 fractional "
                    + "digits), found \"0.1.2\"",
                "colour (line 4): unknown key (valid: version, effective_from, currency, minor_units, rounding, "
                    + "metrics, prices, recurring)",
            ])
    }

    @Test func declaredMetricsAndMinorUnitsAreChecked() {
        let found = problems(
            """
            version: "1"
            effective_from: "2026-11-01T00:00:00Z"
            currency: JPY
            minor_units: 2
            metrics: [ai.model_inference_tokens]
            prices:
              - { metric: ai.model_inference_tokens, model: per_unit, unit: 1000, unit_price: "0.3" }
            """)
        #expect(found == ["minor_units (line 4): JPY has 0 minor units, not 2"])
    }

    @Test func missingKeysAreNamed() {
        #expect(
            problems("prices: []\n") == [
                "version (line 1): required key is missing",
                "effective_from (line 1): required key is missing",
                "currency (line 1): required key is missing",
            ])
    }
}
