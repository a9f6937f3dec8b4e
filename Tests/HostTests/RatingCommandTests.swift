import Foundation
import TestKit
import Testing

/// `rate` and `price` as finance uses them: the same engine, the same numbers.
@Suite struct RatingCommandTests {
    static let root = Repository.root
    static let tiers = root + "/examples/pricebook-tiers.yaml"

    func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func priceQuotesAGraduatedTable() throws {
        // 150 GB: 100 GB at 0.08 + 50 GB at 0.05 = 10.50.
        let result = try BillingServiceProcess.run([
            "price", "--price-book", Self.tiers, "--metric", "traffic.downlink_bytes", "--quantity", "150000000000",
            "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let quote = try #require(try json(result.stdout) as? [String: Any])
        #expect(quote["metric"] as? String == "traffic.downlink_bytes")
        #expect(quote["quantity"] as? String == "150000000000")
        #expect(quote["amount"] as? String == "10.5")
        #expect(quote["amount_rounded"] as? String == "10.50")
        #expect(quote["currency"] as? String == "USD")
    }

    @Test func rateGivesTheSameTotalWhateverTheSplit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func usage(_ parts: [UInt64]) -> String {
            parts.enumerated().map { index, quantity in
                "{\"subject\":\"acct-1\",\"metric\":\"traffic.downlink_bytes\",\"minute\":\"2026-11-0\(index % 9 + 1)T00:0\(index % 10):00Z\",\"quantity\":\"\(quantity)\"}"
            }.joined(separator: "\n") + "\n"
        }
        try usage([60_000_000_000, 90_000_000_000]).write(
            toFile: dir.file("a.jsonl"), atomically: true, encoding: .utf8)
        try usage([50_000_000_000, 50_000_000_000, 25_000_000_000, 25_000_000_000]).write(
            toFile: dir.file("b.jsonl"), atomically: true, encoding: .utf8)
        var amounts: [String] = []
        for file in ["a.jsonl", "b.jsonl"] {
            let result = try BillingServiceProcess.run([
                "rate", "--price-book", Self.tiers, "--usage", dir.file(file), "--period", "2026-11", "--format",
                "json",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try #require(try json(result.stdout) as? [[String: Any]])
            let line = try #require(lines.first { $0["metric"] as? String == "traffic.downlink_bytes" })
            #expect(line["subject"] as? String == "acct-1")
            #expect(line["quantity"] as? String == "150000000000")
            amounts.append(try #require(line["amount"] as? String))
            #expect(line["amount_rounded"] as? String == "10.50")
        }
        #expect(amounts == ["10.5", "10.5"])
    }

    @Test func rateReadsTheAuditAndKeepsEveryByte() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.defaultConfig(repositoryRoot: Self.root)
        let run = try BillingServiceProcess.run(["run", "--config", dir.file("plugins.yaml")])
        try #require(run.status == 0, "\(run.stderr)")

        var expected: [String: UInt64] = [:]
        for line in try AuditContent.usageLines(directory: dir.file("var/audit")) {
            let object = try #require(try json(line) as? [String: Any])
            let key = "\(object["subject"] as? String ?? "")|\(object["metric"] as? String ?? "")"
            expected[key, default: 0] += UInt64(object["quantity"] as? String ?? "") ?? 0
        }
        let result = try BillingServiceProcess.run([
            "rate", "--price-book", Self.root + "/examples/pricebook.yaml", "--from-audit", dir.file("var/audit"),
            "--period", "2026-11", "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try #require(try json(result.stdout) as? [[String: Any]])
        var actual: [String: UInt64] = [:]
        for line in lines {
            let key = "\(line["subject"] as? String ?? "")|\(line["metric"] as? String ?? "")"
            actual[key, default: 0] += UInt64(line["quantity"] as? String ?? "") ?? 0
        }
        #expect(!expected.isEmpty)
        #expect(actual == expected)
    }

    @Test func aBadPriceBookExitsTwoWithPathAndLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let book = """
            version: "v1"
            effective_from: "2026-11-01T00:00:00Z"
            currency: USD
            minor_units: 2
            prices:
              - metric: traffic.downlink_bytes
                model: per_unit
                unit: 0
                unit_price: "-1"
            """
        try book.write(toFile: dir.file("book.yaml"), atomically: true, encoding: .utf8)
        let result = try BillingServiceProcess.run([
            "price", "--price-book", dir.file("book.yaml"), "--metric", "traffic.downlink_bytes", "--quantity", "1",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("prices[0].unit (line 8)"))
        #expect(result.stderr.contains("prices[0].unit_price (line 9)"))
    }

    @Test func activityEventsProrateRecurringFees() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // acct-pro (plan pro, 30.00 a month) has facts from Nov 11 to Nov 26, but its
        // start/stop events say it ran Nov 1–16 and again from Nov 21 to the end:
        // 15 + 10 of 30 days = 25.00. vm-1 was already running (a stop with no start)
        // and stopped on Nov 4: 3 of 30 days of 10.00 = 1.00. Re-sent events change nothing.
        let usage = """
            {"subject":"acct-pro","metric":"vm.cpu_time_ns","minute":"2026-11-11T00:00:00Z","quantity":"3600000000000"}
            {"subject":"acct-pro","metric":"vm.cpu_time_ns","minute":"2026-11-26T00:00:00Z","quantity":"3600000000000"}

            """
        let events = """
            {"subject":"acct-pro","event":"start","time":"2026-11-01T00:00:00Z"}
            {"subject":"acct-pro","event":"stop","time":"2026-11-16T00:00:00Z"}
            {"subject":"acct-pro","event":"start","time":"2026-11-21T00:00:00Z"}
            {"subject":"acct-pro","event":"start","time":"2026-11-22T00:00:00Z"}
            {"subject":"cust-1","dimensions":{"vm_id":"vm-1"},"event":"stop","time":"2026-11-04T00:00:00Z"}
            {"subject":"cust-1","dimensions":{"vm_id":"vm-1"},"event":"stop","time":"2026-11-05T00:00:00Z"}

            """
        try usage.write(toFile: dir.file("usage.jsonl"), atomically: true, encoding: .utf8)
        try events.write(toFile: dir.file("events.jsonl"), atomically: true, encoding: .utf8)
        func fees(_ extra: [String]) throws -> [String: String] {
            let result = try BillingServiceProcess.run(
                [
                    "rate", "--price-book", Self.tiers, "--usage", dir.file("usage.jsonl"), "--period", "2026-11",
                    "--format", "json",
                ] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try #require(try json(result.stdout) as? [[String: Any]])
            var out: [String: String] = [:]
            for line in lines where (line["metric"] as? String ?? "").hasPrefix("fee.") {
                out["\(line["subject"] as? String ?? "") \(line["metric"] as? String ?? "")"] =
                    line["amount_rounded"] as? String
            }
            return out
        }
        // Without events: first to last activity, Nov 11 to Nov 26 = 15.00.
        #expect(try fees([]) == ["acct-pro fee.plan_pro": "15.00"])
        #expect(
            try fees(["--activity", dir.file("events.jsonl")]) == [
                "acct-pro fee.plan_pro": "25.00", "cust-1 fee.vm[vm_id=vm-1]": "1.00",
            ])
    }

    @Test func aMalformedActivityLineIsNamedByFileAndLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try
            "{\"subject\":\"a\",\"event\":\"start\",\"time\":\"2026-11-01T00:00:00Z\"}\n{\"subject\":\"a\",\"event\":\"pause\",\"time\":\"2026-11-02T00:00:00Z\"}\n"
            .write(toFile: dir.file("events.jsonl"), atomically: true, encoding: .utf8)
        try "".write(toFile: dir.file("usage.jsonl"), atomically: true, encoding: .utf8)
        let result = try BillingServiceProcess.run([
            "rate", "--price-book", Self.tiers, "--usage", dir.file("usage.jsonl"), "--period", "2026-11",
            "--activity", dir.file("events.jsonl"),
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("events.jsonl:2: \"event\" must be \"start\" or \"stop\""))
    }
}
