import Core
import Foundation
import Invoicing
import PostgresNIO
import PostgresSink
import Rating
import YAMLConfig

/// Invoice drafts (issue 14): one `invoice run` of November over a ledger of
/// `facts` facts for `subjects` subjects × 5 metrics, next to the bare period
/// aggregate psql runs on the same minute totals in the same run (the floor:
/// no pricing, no writing). Target: at most 3× the floor, at least 2,000
/// invoices/s. Needs DATABASE_URL.
enum InvoiceBench {
    static let metrics = [
        "traffic.uplink_bytes", "traffic.downlink_bytes", "vm.cpu_time_ns", "vm.network_rx_bytes",
        "vm.network_tx_bytes",
    ]

    static func run(subjects: Int, facts: Int, priceBook: String) async throws {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw BenchError(message: "invoices: DATABASE_URL is not set (scripts/bench.sh invoices starts a server)")
        }
        let url = try DatabaseURL(parsing: text)
        let catalog = try PriceCatalog.decode(YAMLDocument.load(path: priceBook), file: priceBook)
        // A period run over the whole ledger is one long transaction: the sink's
        // `query_timeout` must allow it (the default 30 s does not at 10M facts here).
        try await LedgerBench.withSchema(url, prefix: "bench_invoices", queryTimeout: .seconds(900)) { database in
            let fillSeconds = try await fill(database, subjects: subjects, facts: facts)
            Bench.row(
                "invoices: ledger filled", "\(facts) facts", "",
                "\(subjects) subjects × 5 metrics in \(Bench.format(fillSeconds)) s")
            let s = database.schema.name
            let aggregate = """
                SELECT subject, metric, sum(quantity) FROM \(s).minute_totals
                WHERE minute >= '2026-11-01T00:00:00Z' AND minute < '2026-12-01T00:00:00Z' GROUP BY subject, metric
                """
            // Warm the cache the same way for both: the floor runs first, then ours, then the floor again.
            let floorBefore = try Bench.timeShell("psql '\(text)' -qAt -o /dev/null -c \"\(aggregate)\"")
            let store = PostgresInvoiceStore(database: database, schema: database.schema)
            let run = InvoiceRun(store: store, settings: InvoicingSettings(catalog: catalog))
            guard let november = BillingPeriod(year: 2026, month: 11) else { return }
            let (result, seconds) = try await Bench.time { try await run.run(period: november) }
            let floorAfter = try Bench.timeShell("psql '\(text)' -qAt -o /dev/null -c \"\(aggregate)\"")
            let floor = min(floorBefore, floorAfter)
            let written = try await LedgerBench.integer(database, "SELECT count(*) FROM \(s).invoices")
            let lines = try await LedgerBench.integer(database, "SELECT count(*) FROM \(s).invoice_lines")
            guard result.created.count == subjects, written == subjects, lines == subjects * metrics.count else {
                throw BenchError(
                    message: "invoices: \(result.created.count) created, \(written) kept, \(lines) lines "
                        + "(expected \(subjects) and \(subjects * metrics.count))")
            }
            let mismatched = try await LedgerBench.integer(
                database,
                """
                SELECT count(*) FROM \(s).invoices i
                WHERE total <> (SELECT sum(amount_rounded) FROM \(s).invoice_lines l WHERE l.invoice_id = i.invoice_id)
                """)
            guard mismatched == 0 else { throw BenchError(message: "invoices: \(mismatched) totals ≠ sum of lines") }
            Bench.row(
                "invoices: drafts written", "\(Bench.format(Double(subjects) / seconds)) invoices/s", "≥ 2000",
                "\(Bench.format(seconds * 1000)) ms for \(subjects)")
            Bench.row(
                "invoices: run / psql period aggregate",
                String(format: "%.2f×", seconds / floor), "≤ 3×",
                "psql GROUP BY \(Bench.format(floor * 1000)) ms (\(Bench.format(floorBefore * 1000)), \(Bench.format(floorAfter * 1000)))"
            )
            let (rerun, again) = try await Bench.time { try await run.run(period: november) }
            Bench.row(
                "invoices: rerun, nothing changed", "\(Bench.format(Double(subjects) / again)) invoices/s", "",
                "\(rerun.unchanged.count) unchanged in \(Bench.format(again * 1000)) ms")
            // Where a run's time goes: each step again on its own (the writes are the rest).
            let starts = SeriesPeriodTotal.segmentStarts(of: catalog, in: november)
            let (usage, reading) = try await Bench.time {
                try await store.periodUsage(period: november, segmentStarts: starts, subject: nil)
            }
            let (invoices, assembling) = try await Bench.time {
                try await InvoiceAssembler.assembleConcurrently(
                    period: november, catalog: catalog, usage: usage, spans: [])
            }
            let (_, encoding) = try await Bench.time {
                invoices.reduce(0) { $0 + InvoiceJSON.contentHash($1).count }
            }
            Bench.row(
                "invoices: steps of a run", "read \(Bench.format(reading * 1000)) ms", "",
                "assemble (all cores) \(Bench.format(assembling * 1000)) ms, encode + hash (one core) "
                    + "\(Bench.format(encoding * 1000)) ms, for \(usage.count) series totals")
        }
    }

    /// `facts` facts spread over November: `subjects` × 5 metrics series, minute
    /// totals rolled up and series labels listed as the sink keeps them.
    static func fill(_ database: LedgerDatabase, subjects: Int, facts: Int) async throws -> Double {
        let minutesPerSeries = max(1, facts / (subjects * metrics.count))
        let step = max(1, 43_200 / minutesPerSeries)
        let s = database.schema.name
        let list = metrics.map { "'\($0)'" }.joined(separator: ", ")
        let (_, seconds) = try await Bench.time {
            try await LedgerBench.execute(
                database,
                """
                INSERT INTO \(s).usage_facts (fact_id, minute, series_id, source, subject, metric, dimensions,
                    from_at, to_at, from_ns, to_ns, quantity, flags, amount, currency, price_book, batch_id)
                SELECT md5(sub || '/' || met || '/' || m)::uuid, t, md5(sub || '/' || met)::uuid, 'edge',
                    'acct-' || sub, met, '{"env":"prod","node_id":"edge-1"}'::jsonb, t, t + interval '1 minute',
                    0, 60000000000, q, 0, 0, 'USD', '2026-11-01', 1
                FROM generate_series(0, \(subjects - 1)) AS sub, unnest(ARRAY[\(list)]) AS met,
                    generate_series(0, \(minutesPerSeries - 1)) AS m,
                    LATERAL (SELECT timestamptz '2026-11-01 00:00:00+00' + (m * \(step)) * interval '1 minute' AS t,
                        (hashint8(sub::bigint * 100003 + m) & 1073741823)::numeric AS q) v
                """)
            try await LedgerBench.execute(
                database,
                """
                INSERT INTO \(s).minute_totals (series_id, minute, currency, source, subject, metric, quantity, amount,
                    fact_count)
                SELECT series_id, minute, currency, min(source), min(subject), min(metric), sum(quantity), sum(amount),
                    count(*)
                FROM \(s).usage_facts GROUP BY series_id, minute, currency
                """)
            // The labels the sink writes with each series' first facts.
            try await LedgerBench.execute(
                database,
                """
                INSERT INTO \(s).series (series_id, source, subject, metric, dimensions)
                SELECT DISTINCT ON (series_id) series_id, source, subject, metric, dimensions
                FROM \(s).usage_facts ORDER BY series_id
                """)
            try await LedgerBench.execute(database, "VACUUM (ANALYZE) \(s).usage_facts")
            try await LedgerBench.execute(database, "VACUUM (ANALYZE) \(s).minute_totals")
            try await LedgerBench.execute(database, "VACUUM (ANALYZE) \(s).series")
        }
        return seconds
    }
}
