import Core
import Rating
import Testing

/// The worked examples of docs/pricing.md, computed by hand there and checked here.
@Suite struct PeriodWorkedExampleTests {
    let gb: UInt64 = 1_000_000_000

    @Test func example1GraduatedTiers() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        // 1,250 GB in two facts: 100 × 0.08 + 900 × 0.05 + 250 × 0.02 = 8 + 45 + 5 = 58.
        let result = try statement(
            catalog,
            [
                usage("acct-1", "traffic.downlink_bytes", 1_000 * gb, at: nov(3)),
                usage("acct-1", "traffic.downlink_bytes", 250 * gb, at: nov(20)),
            ])
        let line = try #require(result.lines.first)
        #expect(result.lines.count == 1)
        #expect(line.quantity == 1_250_000_000_000)
        #expect(line.amount == money("58"))
        #expect(line.amountRounded == money("58.00"))
        #expect(line.parts[0].tiers.map(\.units) == [money("100"), money("900"), money("250")])
        #expect(line.parts[0].tiers.map(\.amount) == [money("8"), money("45"), money("5")])
        #expect(line.versions == ["2026-11-01"])
    }

    @Test(arguments: [(UInt64(150), "9.5", 1), (UInt64(1_250), "25", 2), (UInt64(100), "8", 0)])
    func example2VolumeTiers(gigabytes: UInt64, amount: String, tier: Int) throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        // 150 GB lands in tier 2: 150 × 0.05 + flat 2 = 9.50; 1,250 GB: 1,250 × 0.02 = 25; 100 GB: 100 × 0.08.
        let result = try statement(catalog, [usage("acct-1", "traffic.uplink_bytes", gigabytes * gb, at: nov(5))])
        #expect(result.lines.first?.amount == money(amount))
        #expect(result.lines.first?.parts.first?.tiers.map(\.index) == [tier])
    }

    @Test func example3PackageRoundsPartialBlocksUp() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        // 250,001 tokens = 250.001 K = 2.50001 blocks of 100 K → 3 packages × 0.50 = 1.50.
        let result = try statement(
            catalog, [usage("user-1", "ai.model_inference_tokens", 250_001, at: nov(7))])
        #expect(result.lines.first?.amount == money("1.5"))
        #expect(result.lines.first?.parts.first?.tiers.first?.units == money("3"))
    }

    @Test func example4AllowanceAndMinimum() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let gibHour: UInt64 = 3_865_470_566_400
        // acct-1: 2 GiB for the whole month = 1,440 GiB-hours; 100 free; 1,340 × 0.005 = 6.70.
        // acct-2: 120 GiB-hours; 20 billable × 0.005 = 0.10, raised to the minimum 1.00.
        let result = try statement(
            catalog,
            [
                usage("acct-1", "vm.memory_byte_seconds", 1_440 * gibHour, at: nov(30, 23, 59)),
                usage("acct-2", "vm.memory_byte_seconds", 120 * gibHour, at: nov(5)),
            ])
        #expect(result.lines.map(\.amount) == [money("6.7"), money("1")])
        #expect(result.lines[0].parts[0].allowanceUsed == money("100"))
        #expect(result.lines[1].parts[0].minimumTopUp == money("0.9"))
    }

    @Test func example5PriceChangeInTheMiddleOfTheMonth() throws {
        let catalog = try loadCatalog("examples/pricebook-versions.yaml")
        // 100 GB on Nov 10 at 0.05 = 5; 200 GB on Nov 20 at 0.04 = 8; total 13.
        let facts = [
            usage("cust-1", "vm.network_tx_bytes", 100 * gb, at: nov(10)),
            usage("cust-1", "vm.network_tx_bytes", 200 * gb, at: nov(20)),
        ]
        let result = try statement(catalog, facts)
        #expect(result.lines.count == 1)
        #expect(result.lines[0].amount == money("13"))
        #expect(result.lines[0].versions == ["2026-11-01", "2026-11-16"])
        #expect(result.lines[0].parts.map(\.amount) == [money("5"), money("8")])
        // The per-fact path agrees: each fact is priced by the version in force at its minute.
        var rated = facts
        _ = try Rater(catalog: catalog).rate(&rated)
        #expect(rated.map(\.priceBook) == ["2026-11-01", "2026-11-16"])
        #expect(rated.map(\.amount) == [money("5"), money("8")])
    }

    @Test func example6RecurringFeesAreProratedByActiveTime() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let coreHour: UInt64 = 3_600_000_000_000
        // acct-pro (plan pro) is active from Nov 11 00:00 to Nov 26 00:00: 15 of 30 days of 30.00 = 15.00,
        // and pays the pro CPU price 0.03. vm-1 of cust-1 runs Nov 1 to Nov 4: 3 days of 10.00 = 1.00.
        let result = try statement(
            catalog,
            [
                usage("acct-pro", "vm.cpu_time_ns", coreHour, at: nov(11, 0, 1), from: nov(11)),
                usage("acct-pro", "vm.cpu_time_ns", coreHour, at: nov(26), from: nov(25, 23, 59)),
                usage("acct-basic", "vm.cpu_time_ns", coreHour, at: nov(2)),
            ],
            activity: [
                ActivitySpan(subject: "cust-1", dimension: Dimension("vm_id", "vm-1"), start: nov(1), stop: nov(4))
            ])
        let summary = result.lines.map { "\($0.subject) \($0.metric) \($0.amount)" }
        #expect(
            summary == [
                "acct-basic vm.cpu_time_ns 0.04",
                "acct-pro vm.cpu_time_ns 0.06",
                "acct-pro fee.plan_pro 15",
                "cust-1 fee.vm 1",
            ])
        #expect(result.lines[2].quantity == 15 * 86_400 * 1_000_000_000)
        #expect(result.lines[3].dimension == Dimension("vm_id", "vm-1"))
    }

    @Test func example7DimensionMultipliers() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        // 10 GB in eu count 12 GB; with 10 GB in us: 22 GB × 0.05 = 1.10.
        let result = try statement(
            catalog,
            [
                usage("acct-1", "vm.disk_write_bytes", 10 * gb, at: nov(2), [Dimension("region", "eu")]),
                usage("acct-1", "vm.disk_write_bytes", 10 * gb, at: nov(2), [Dimension("region", "us")]),
            ])
        #expect(result.lines.first?.amount == money("1.1"))
        #expect(result.lines.first?.parts.first?.billedUnits == money("22"))
        #expect(result.lines.first?.quantity == UInt128(20 * gb))
    }

    @Test(arguments: [("half_even", "0.12"), ("half_up", "0.13"), ("down", "0.12"), ("up", "0.13")])
    func example8RoundingOnceAtPresentation(mode: String, rounded: String) throws {
        let catalog = try parseCatalog(
            """
            version: "r"
            effective_from: "2026-11-01T00:00:00Z"
            currency: USD
            rounding: \(mode)
            prices:
              - { metric: traffic.downlink_bytes, model: per_unit, unit: 1000000000, unit_price: "0.0125" }
            """)
        let result = try statement(catalog, [usage("a", "traffic.downlink_bytes", 10 * gb, at: nov(1))])
        #expect(result.lines.first?.amount == money("0.125"))
        #expect(result.lines.first?.amountRounded == money(rounded))
    }

    @Test func unpricedUsageIsShownNotDropped() throws {
        let catalog = try loadCatalog("examples/pricebook-versions.yaml")
        let result = try statement(
            catalog,
            [usage("a", "traffic.downlink_bytes", 5, at: nov(1)), usage("a", "vm.network_tx_bytes", 7, at: nov(40))])
        #expect(result.lines.isEmpty)
        #expect(result.unpriced["traffic.downlink_bytes"]?.quantity == 5)
        #expect(result.outsidePeriod == 1)
    }
}
