import Core
import Invoicing
import Testing

/// The customers file is validated completely, with YAML path and line.
@Suite struct CustomerDirectoryTests {
    @Test func decodesEveryField() throws {
        let directory = try customers(
            """
            customers:
              acct-1:
                name: Acme GmbH
                email: billing@acme.example
                address: [Hauptstr. 1, 10115 Berlin]
                cost_center: CC-42
                plan: pro
                currency: EUR
                coupons:
                  - { id: WELCOME, percent: "10", periods: 3, from: 2026-11 }
            """)
        let customer = try #require(directory.customer(of: "acct-1"))
        #expect(customer.name == "Acme GmbH")
        #expect(customer.address == ["Hauptstr. 1", "10115 Berlin"])
        #expect(customer.costCenter == "CC-42")
        #expect(customer.coupons.first?.duration == .periods(3))
        #expect(directory.customer(of: "acct-2") == nil)
    }

    @Test func unknownKeysAndBadCouponsAreReportedWithPathAndLine() throws {
        let error = #expect(throws: ConfigError.self) {
            try customers(
                """
                customers:
                  acct-1:
                    name: One
                    colour: blue
                    coupons:
                      - { id: X, percent: "150", periods: 2 }
                """)
        }
        let text = error?.description ?? ""
        #expect(text.contains("customers.acct-1.colour (line 4): unknown key"))
        #expect(text.contains("customers.acct-1.coupons[0].percent (line 6): must be a decimal in (0, 100]"))
        #expect(text.contains("customers.acct-1.coupons[0].from"))
    }
}
