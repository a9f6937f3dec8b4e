import Core
import Invoicing
import Rating
import Testing
import YAMLConfig

@testable import PostgresSink

/// Invoices in a real PostgreSQL: drafts from the ledger's minute totals, runs
/// under the period lock, gapless numbers, void, triggers, late usage, the gate.
@Suite struct InvoiceStoreTests {
    /// 1 GB uplink costs 1.00; a plan fee of 30.00 a month for pro subjects.
    static let book = """
        metrics: [uplink_bytes]
        plans:
          default: basic
          subjects: { acct-5: pro }
        versions:
          - version: "2026-11-01"
            effective_from: "2026-01-01T00:00:00Z"
            currency: USD
            minor_units: 2
            rounding: half_even
            prices:
              - { metric: uplink_bytes, model: per_unit, unit: 1000000000, unit_price: "1.00" }
            recurring:
              - { name: plan_pro, plan: pro, amount: "30.00" }
        """

    static func settings() throws -> InvoicingSettings {
        InvoicingSettings(
            catalog: try PriceCatalog.decode(YAMLDocument.parse(book, file: "book.yaml"), file: "book.yaml"),
            settleDelay: .seconds(60))
    }

    static let november = BillingPeriod(year: 2026, month: 11)!
    static let december = BillingPeriod(year: 2026, month: 12)!
    /// Well after November closed.
    static let later = Timestamp(secondsSinceEpoch: 1_796_083_200 + 86_400)

    func store(_ db: TestLedger) throws -> any InvoiceStore {
        try db.sink().invoiceStore()
    }

    /// `gigabytes` GB of uplink for subject `subject`, spread over `minutes` minutes of November.
    func write(
        _ db: TestLedger, subject: Int, gigabytes: UInt64, minutes: Int64 = 4, sequence: UInt64, part: UInt64 = 0,
        start: Timestamp = Fixtures.november
    ) async throws {
        let each = gigabytes * 1_000_000_000 / UInt64(minutes)
        let facts = (0..<minutes).map {
            Fixtures.fact(subject: subject, minute: $0, quantity: each, part: part, start: start)
        }
        let sink = db.sink()
        _ = try sink.stateStore(forPipeline: "main")
        try await sink.write(Fixtures.batch(facts, sequence: sequence))
    }

    /// The source collected successfully well after November closed: the gate passes.
    func settle(_ db: TestLedger) async throws {
        try await db.execute(
            "UPDATE \(db.schema.name).source_state SET last_succeeded_ns = \(Self.later.nanosecondsSinceEpoch)")
    }

    @Test func aRunMakesOneDraftPerSubjectFromMinuteTotalsAndARerunChangesNothing() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 3, sequence: 1)
            try await write(db, subject: 2, gigabytes: 8, sequence: 2)
            let run = InvoiceRun(store: try store(db), settings: try Self.settings())
            let first = try await run.run(period: Self.november)
            #expect(first.created.count == 2)
            let again = try await run.run(period: Self.november)
            #expect(again.created.isEmpty && again.updated.isEmpty)
            #expect(again.unchanged.count == 2)

            let drafts = try await store(db).invoices(InvoiceFilter(period: Self.november))
            #expect(drafts.map(\.subject) == ["acct-1", "acct-2"])
            #expect(drafts.map(\.total) == [Money(units: 3), Money(units: 8)])
            #expect(drafts.allSatisfy { $0.status == .draft && $0.number == nil })
            let lineRows = try await db.integer("SELECT count(*) FROM \(db.schema.name).invoice_lines")
            #expect(lineRows == 2)

            // Late usage before finalization: the draft is recomputed.
            try await write(db, subject: 1, gigabytes: 2, sequence: 3, part: 1)
            let third = try await run.run(period: Self.november)
            #expect(third.updated == [InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")])
            let updated = try await store(db).invoice(id: third.updated[0])
            #expect(updated?.total == Money(units: 5))
        }
    }

    @Test func twoRunsTogetherWriteEachInvoiceOnce() async throws {
        try await TestLedger.with { db in
            for s in 1...6 { try await write(db, subject: s, gigabytes: UInt64(s), sequence: UInt64(s)) }
            let run = InvoiceRun(store: try store(db), settings: try Self.settings())
            async let a = run.run(period: Self.november)
            async let b = run.run(period: Self.november)
            let (first, second) = try await (a, b)
            #expect(first.created.count + second.created.count == 6)
            #expect(first.unchanged.count + second.unchanged.count == 6)
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).invoices") == 6)
        }
    }

    @Test func finalizeAssignsGaplessNumbersAndConcurrentFinalizationsNeverShareOne() async throws {
        try await TestLedger.with { db in
            for s in 1...8 { try await write(db, subject: s, gigabytes: 1, sequence: UInt64(s)) }
            try await settle(db)
            let settings = try Self.settings()
            let store = try store(db)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: Self.november)
            let ids = try await store.invoices(InvoiceFilter(period: Self.november)).map(\.id)
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for id in ids {
                    group.addTask {
                        try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later).number ?? ""
                    }
                }
                var out: [String] = []
                for try await number in group { out.append(number) }
                return out
            }
            #expect(numbers.sorted() == (1...8).map { "INV-2026-00000\($0)" })
            #expect(
                try await db.integer(
                    "SELECT last_value FROM \(db.schema.name).invoice_number_counters WHERE prefix = 'INV-2026-'") == 8)

            // The same invoice finalized twice at once: one wins, the other is refused; no number is used up.
            try await write(db, subject: 20, gigabytes: 1, sequence: 100)
            try await settle(db)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: Self.november)
            let id = InvoiceID.make(subject: "acct-20", period: Self.november, currency: "USD")
            async let x: Invoice? = try? lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            async let y: Invoice? = try? lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            let results = await [x, y].compactMap { $0 }
            #expect(results.count == 1)
            #expect(results.first?.number == "INV-2026-000009")
            #expect(
                try await db.integer(
                    "SELECT last_value FROM \(db.schema.name).invoice_number_counters WHERE prefix = 'INV-2026-'") == 9)
        }
    }

    @Test func voidKeepsNumberAndContentAndTheTriggersGuardFinalizedInvoices() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 2, sequence: 1)
            try await settle(db)
            let settings = try Self.settings()
            let store = try store(db)
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: Self.november)
            let id = InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")

            await #expect(throws: InvoiceError.notVoidable(id: id, status: .draft)) {
                try await lifecycle.void(id: id, reason: "typo", now: Self.later)
            }
            let finalized = try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            await #expect(throws: InvoiceError.notFinalizable(id: id, status: .finalized)) {
                try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            }
            // A finalized invoice never changes: not by a run, not by SQL.
            try await write(db, subject: 1, gigabytes: 5, sequence: 2, part: 1)
            let rerun = try await InvoiceRun(store: store, settings: settings).run(period: Self.november)
            #expect(rerun.closed == [id])
            #expect(try await store.invoice(id: id)?.total == Money(units: 2))
            await #expect(throws: (any Error).self) {
                try await db.execute("UPDATE \(db.schema.name).invoices SET total = 0 WHERE invoice_id = '\(id)'")
            }
            await #expect(throws: (any Error).self) {
                try await db.execute("DELETE FROM \(db.schema.name).invoice_lines WHERE invoice_id = '\(id)'")
            }

            let voided = try await lifecycle.void(id: id, reason: "wrong customer", now: Self.later)
            #expect(voided.status == .void)
            #expect(voided.number == finalized.number)
            #expect(voided.lines == finalized.lines)
            #expect(voided.voidReason == "wrong customer")
            await #expect(throws: InvoiceError.notFinalizable(id: id, status: .void)) {
                try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            }
            await #expect(throws: InvoiceError.unknownInvoice("inv_nope")) {
                try await lifecycle.void(id: "inv_nope", reason: "x", now: Self.later)
            }
        }
    }

    @Test func voidWithReplaceDraftsAReplacementThatRunsRecomputeAndFinalizeWithTheNextNumber() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 2, sequence: 1)
            try await write(db, subject: 2, gigabytes: 1, sequence: 2, part: 7)
            try await settle(db)
            let settings = try Self.settings()
            let store = try store(db)
            let run = InvoiceRun(store: store, settings: settings)
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            _ = try await run.run(period: Self.november)
            let id = InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")
            let other = InvoiceID.make(subject: "acct-2", period: Self.november, currency: "USD")
            let first = try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            _ = try await lifecycle.finalize(id: other, force: false, reason: nil, now: Self.later)

            // Usage that arrived after finalization: the replacement includes it.
            try await write(db, subject: 1, gigabytes: 3, sequence: 3, part: 1)
            let (voided, replacement) = try await lifecycle.voidAndReplace(
                id: id, reason: "usage was missing", now: Self.later)
            #expect(voided.status == .void)
            #expect(voided.number == first.number)
            #expect(replacement.id == InvoiceID.replacement(of: id))
            #expect(replacement.id != id)
            #expect(replacement.replaces == first.number)
            #expect(replacement.total == Money(units: 5))
            let stored = try #require(try await store.invoice(id: replacement.id))
            #expect(stored.status == .draft)
            #expect(stored.replaces == first.number)
            #expect(try await store.invoice(id: id)?.status == .void)

            // A run writes the subject's draft to the replacement, never a second invoice.
            try await write(db, subject: 1, gigabytes: 1, sequence: 4, part: 2)
            let rerun = try await run.run(period: Self.november)
            #expect(rerun.updated == [replacement.id])
            #expect(rerun.created.isEmpty)
            #expect(Set(rerun.closed) == [other])
            #expect(try await store.invoice(id: replacement.id)?.total == Money(units: 6))
            #expect(try await store.invoice(id: replacement.id)?.replaces == first.number)
            #expect(try await store.invoices(InvoiceFilter(period: Self.november, subject: "acct-1")).count == 2)

            // Voided twice: refused (it is void), and nothing else changes.
            await #expect(throws: InvoiceError.notVoidable(id: id, status: .void)) {
                try await lifecycle.voidAndReplace(id: id, reason: "again", now: Self.later)
            }
            try await settle(db)
            let done = try await lifecycle.finalize(id: replacement.id, force: false, reason: nil, now: Self.later)
            #expect(done.number == "INV-2026-000003")
            #expect(done.replaces == first.number)
            // Late usage after the replacement is finalized is adjusted against it, not the voided one.
            try await write(db, subject: 1, gigabytes: 2, sequence: 5, part: 3)
            try await write(db, subject: 1, gigabytes: 1, sequence: 6, start: Self.december.start)
            _ = try await run.run(period: Self.december)
            let next = try #require(
                try await store.invoice(id: InvoiceID.make(subject: "acct-1", period: Self.december, currency: "USD")))
            #expect(next.lines.last?.kind == .adjustment)
            #expect(next.lines.last?.refersTo == done.number)
            #expect(next.lines.last?.amountRounded == Money(units: 2))
            // The database is the last guard: a second current invoice for the key is refused.
            await #expect(throws: (any Error).self) {
                try await db.execute(
                    """
                    INSERT INTO \(db.schema.name).invoices (invoice_id, subject, period_start, period_end, currency,
                        status, total, total_exact, content, content_hash)
                    SELECT 'inv_dup', subject, period_start, period_end, currency, 'draft', 0, 0, '{}', ''
                    FROM \(db.schema.name).invoices WHERE invoice_id = '\(replacement.id)'
                    """)
            }
            // Voiding the replacement without --replace leaves the subject with no invoice for November.
            _ = try await lifecycle.void(id: replacement.id, reason: "not billable", now: Self.later)
            let after = try await run.run(period: Self.november)
            #expect(Set(after.closed) == [id, other])
            #expect(after.created.isEmpty)
        }
    }

    @Test func lateUsageAfterFinalizationBecomesAnAdjustmentOnTheNextInvoice() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 2, sequence: 1)
            try await settle(db)
            let settings = try Self.settings()
            let store = try store(db)
            let run = InvoiceRun(store: store, settings: settings)
            _ = try await run.run(period: Self.november)
            let id = InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")
            let finalized = try await InvoiceLifecycle(store: store, settings: settings).finalize(
                id: id, force: false, reason: nil, now: Self.later)

            // 3 GB more for November arrive after it was finalized, and 1 GB in December.
            try await write(db, subject: 1, gigabytes: 3, sequence: 2, part: 1)
            try await write(db, subject: 1, gigabytes: 1, sequence: 3, start: Self.december.start)
            _ = try await run.run(period: Self.december)
            let next = try #require(
                try await store.invoice(id: InvoiceID.make(subject: "acct-1", period: Self.december, currency: "USD")))
            #expect(next.lines.map(\.kind) == [.usage, .adjustment])
            #expect(next.lines.last?.refersTo == finalized.number)
            #expect(next.lines.last?.amountRounded == Money(units: 3))
            #expect(next.total == Money(units: 4))
            #expect(try await store.invoice(id: id)?.total == Money(units: 2))
        }
    }

    @Test func theGateNamesEachUnsettledOrFailingSourceAndForceKeepsTheReason() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 2, sequence: 1)
            let sink = db.sink()
            _ = try sink.stateStore(forPipeline: "main")
            try await sink.write(
                Fixtures.batch([Fixtures.fact(subject: 1, minute: 9, quantity: 5, flags: [.gap])], sequence: 2))
            let settings = try Self.settings()
            let store = try store(db)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: Self.november)
            let id = InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            let error = await #expect(throws: InvoiceError.self) {
                try await lifecycle.finalize(id: id, force: false, reason: nil, now: Self.later)
            }
            guard case .incomplete(_, let problems) = error else {
                Issue.record("expected incomplete, got \(String(describing: error))")
                return
            }
            #expect(problems.contains { $0.contains("source edge (pipeline main) has committed through") })
            #expect(problems.contains { $0.contains("series edge/uplink_bytes") && $0.contains("gap") })
            #expect(try await store.invoice(id: id)?.status == .draft)

            await #expect(throws: InvoiceError.reasonRequired("--force")) {
                try await lifecycle.finalize(id: id, force: true, reason: nil, now: Self.later)
            }
            let forced = try await lifecycle.finalize(id: id, force: true, reason: "month-end close", now: Self.later)
            #expect(forced.forcedReason == "month-end close")
            #expect(forced.completeness.complete == false)
            #expect(forced.number == "INV-2026-000001")
        }
    }

    @Test func activityImportIsIdempotentAndClosesOpenSpans() async throws {
        try await TestLedger.with { db in
            let store = try store(db)
            let start = Self.november.start
            let open = ActivitySpan(subject: "acct-5", start: start)
            #expect(try await store.importActivity([open]) == ActivityImportResult(inserted: 1, unchanged: 0))
            #expect(try await store.importActivity([open]) == ActivityImportResult(inserted: 0, unchanged: 1))
            let half = start.adding(nanoseconds: 15 * 86_400 * Timestamp.nanosecondsPerSecond)
            let closed = ActivitySpan(subject: "acct-5", start: start, stop: half)
            #expect(try await store.importActivity([closed]) == ActivityImportResult(inserted: 1, unchanged: 0))
            #expect(try await store.importActivity([closed]) == ActivityImportResult(inserted: 0, unchanged: 1))
            #expect(try await store.activitySpans(period: Self.november, subject: nil) == [closed])

            // The plan fee of a pro subject with no usage is prorated by the span: half of 30.00.
            _ = try await InvoiceRun(store: store, settings: try Self.settings()).run(period: Self.november)
            let invoice = try await store.invoice(
                id: InvoiceID.make(subject: "acct-5", period: Self.november, currency: "USD"))
            #expect(invoice?.lines.map(\.quantity) == ["1296000"])
            #expect(invoice?.total == Money(units: 15))
        }
    }

    @Test func theRouteHandlersAnswerWithStatusCodesAndInvoiceJSON() async throws {
        try await TestLedger.with { db in
            try await write(db, subject: 1, gigabytes: 2, sequence: 1)
            try await write(db, subject: 2, gigabytes: 3, sequence: 2)
            try await settle(db)
            let handlers = InvoiceHandlers(store: try store(db), settings: try Self.settings())
            let job = await handlers.runJob(period: "2026-11", now: Self.later)
            #expect(job.status == 200)
            #expect(String(decoding: job.body, as: UTF8.self).contains("\"created\""))
            #expect(await handlers.runJob(period: "2026-13", now: Self.later).status == 400)

            let page = await handlers.list(query: ["period": "2026-11", "limit": "1"])
            #expect(page.status == 200)
            let first = String(decoding: page.body, as: UTF8.self)
            let id1 = InvoiceID.make(subject: "acct-1", period: Self.november, currency: "USD")
            let id2 = InvoiceID.make(subject: "acct-2", period: Self.november, currency: "USD")
            #expect(first.contains(id1) && first.contains("\"next_cursor\":\"\(id1)\""))
            let second = await handlers.list(query: ["period": "2026-11", "limit": "1", "cursor": id1])
            #expect(String(decoding: second.body, as: UTF8.self).contains(id2))
            #expect(await handlers.list(query: ["status": "paid"]).status == 400)

            #expect(await handlers.show(id: "inv_none").status == 404)
            let html = await handlers.download(id: id1, format: nil)
            #expect(html.contentType.hasPrefix("text/html"))
            #expect(await handlers.download(id: id1, format: "pdf").status == 400)
            #expect(await handlers.void(id: id1, reason: "x", now: Self.later).status == 409)
            #expect(await handlers.void(id: id1, reason: nil, now: Self.later).status == 400)
            let finalized = await handlers.finalize(id: id1, force: false, reason: nil, now: Self.later)
            #expect(finalized.status == 200)
            #expect(String(decoding: finalized.body, as: UTF8.self).contains("\"number\":\"INV-2026-000001\""))
            #expect(await handlers.finalize(id: id1, force: false, reason: nil, now: Self.later).status == 409)
        }
    }

    @Test func aMalformedOrFuturePeriodIsRefused() throws {
        #expect(throws: InvoiceError.badPeriod("2026-13")) { try InvoiceRun.period("2026-13", now: Self.later) }
        #expect(throws: InvoiceError.futurePeriod("2027-06")) { try InvoiceRun.period("2027-06", now: Self.later) }
        #expect(try InvoiceRun.period("2026-11", now: Self.later) == Self.november)
    }
}
