import Core
import Rating
import Testing

/// The `rate` and `price` outputs, golden.
@Suite struct ReportRendererTests {
    @Test func statementJSONIsAnArrayOfDecimalStrings() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let (_, output) = try RatingCommands.rate(
            catalog: catalog,
            facts: [
                usage("acct-1", "traffic.downlink_bytes", 1_250_000_000_000, at: nov(3)),
                usage("acct-2", "vm.memory_byte_seconds", 120 * 3_865_470_566_400, at: nov(5)),
                usage("acct-\"x\"", "ai.model_inference_tokens", 1, at: nov(5)),
            ],
            period: november, format: .json)
        #expect(
            output == """
                [
                  {"subject": "acct-\\"x\\"", "metric": "ai.model_inference_tokens", "quantity": "1", "amount": "0.5", "amount_rounded": "0.50", "currency": "USD"},
                  {"subject": "acct-1", "metric": "traffic.downlink_bytes", "quantity": "1250000000000", "amount": "58", "amount_rounded": "58.00", "currency": "USD"},
                  {"subject": "acct-2", "metric": "vm.memory_byte_seconds", "quantity": "463856467968000", "amount": "1", "amount_rounded": "1.00", "currency": "USD"}
                ]

                """)
    }

    @Test func subjectFilterKeepsOneSubject() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let (statement, _) = try RatingCommands.rate(
            catalog: catalog,
            facts: [
                usage("a", "traffic.uplink_bytes", 1, at: nov(3)), usage("b", "traffic.uplink_bytes", 1, at: nov(3)),
            ],
            period: november, subject: "b")
        #expect(statement.lines.map(\.subject) == ["b"])
    }

    @Test func statementTableShowsTiersAllowanceAndVersions() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let (_, output) = try RatingCommands.rate(
            catalog: catalog,
            facts: [
                usage("acct-1", "traffic.downlink_bytes", 1_250_000_000_000, at: nov(3)),
                usage("acct-2", "vm.memory_byte_seconds", 120 * 3_865_470_566_400, at: nov(5)),
                usage("acct-2", "vm.network_rx_bytes", 9, at: nov(5)),
            ],
            period: november)
        #expect(
            output == """
                period 2026-11 (2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z), currency USD
                SUBJECT  METRIC                  QUANTITY         BILLED        AMOUNT  ROUNDED  VERSIONS
                acct-1   traffic.downlink_bytes  1250000000000    1250 GB       58      58.00    2026-11-01
                    graduated (2026-11-01, line 16); tier 1: 100 GB × 0.08 = 8; tier 2: 900 GB × 0.05 = 45; tier 3: 250 GB × 0.02 = 5; amount 58
                acct-2   vm.memory_byte_seconds  463856467968000  120 GiB-hour  1       1.00     2026-11-01
                    per_unit (2026-11-01, line 41); allowance 100 GiB-hour; tier 1: 20 GiB-hour × 0.005 = 0.1; minimum adds 0.9; amount 1
                total acct-1: 58 exact, 58.00 USD invoiced (sum of rounded lines)
                total acct-2: 1 exact, 1.00 USD invoiced (sum of rounded lines)
                unpriced vm.network_rx_bytes: 1 facts, 9 base units, rated 0

                """)
    }

    @Test func quoteJSONAndTable() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let json = try RatingCommands.price(
            catalog: catalog, metric: "vm.disk_write_bytes", quantity: 10_000_000_000,
            dimensions: try #require(RatingCommands.parseDimensions("region=eu")), format: .json)
        #expect(
            json.output == """
                {"metric": "vm.disk_write_bytes", "quantity": "10000000000", "amount": "0.6", "amount_rounded": "0.60", "currency": "USD"}

                """)
        let table = try RatingCommands.price(
            catalog: catalog, metric: "traffic.uplink_bytes", quantity: 150_000_000_000)
        #expect(
            table.output == """
                traffic.uplink_bytes: 150000000000 base units = 150 GB, version 2026-11-01
                  volume (2026-11-01, line 25); tier 2: 150 GB × 0.05 + flat 2 = 9.5; amount 9.5
                amount 9.5 exact, 9.50 USD

                """)
        let none = try RatingCommands.price(catalog: catalog, metric: "vm.network_rx_bytes", quantity: 5)
        #expect(none.quote.part == nil)
        #expect(none.quote.amount == .zero)
    }

    @Test(arguments: [
        ("region=eu,env=prod", [Dimension("region", "eu"), Dimension("env", "prod")]),
        ("", []), ("a=", [Dimension("a", "")]),
    ])
    func dimensionsParse(text: String, expected: [Dimension]) {
        #expect(RatingCommands.parseDimensions(text) == expected)
    }

    @Test(arguments: ["region", "=eu", "a=1,a=2"])
    func badDimensionsAreRejected(text: String) {
        #expect(RatingCommands.parseDimensions(text) == nil)
    }

    @Test func periodsParse() {
        #expect(BillingPeriod("2026-11") == november)
        #expect(BillingPeriod("2026-13") == nil)
        #expect(BillingPeriod("26-11") == nil)
        #expect(BillingPeriod("2026-12")?.end == Timestamp(rfc3339: "2027-01-01T00:00:00Z"))
        #expect(BillingPeriod(containing: nov(30, 23, 59)) == november)
        #expect(november.nanoseconds == 30 * 86_400 * 1_000_000_000)
    }
}
