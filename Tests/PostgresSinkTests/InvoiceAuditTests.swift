import AuditLog
import Core
import Foundation
import Invoicing
import Rating
import TestKit
import Testing

@testable import PostgresSink

/// Finalizations and voids in the invoicing audit trail (a real `jsonl_audit`
/// sink) beside a real PostgreSQL, `invoice verify` from the usage trail alone,
/// and the catch-up after a crash between the database and the trail.
@Suite struct InvoiceAuditTests {
    let base = InvoiceStoreTests()

    /// A `jsonl_audit` sink over `directory` (fsync on, as in production).
    func trail(_ directory: String, id: String) -> AuditLogSink {
        AuditLogSink(
            id: id, options: AuditLogOptions(directory: directory, rotateBytes: 1 << 20, fsync: true),
            context: .testing())
    }

    /// Writes `gigabytes` of November uplink for `subject` to the ledger and to the usage trail.
    func write(
        _ db: TestLedger, usage: AuditLogSink, subject: Int, gigabytes: UInt64, sequence: UInt64, part: UInt64 = 0
    ) async throws {
        let facts = (0..<4).map {
            Fixtures.fact(subject: subject, minute: Int64($0), quantity: gigabytes * 250_000_000, part: part)
        }
        let sink = db.sink()
        _ = try sink.stateStore(forPipeline: "main")
        try await sink.write(Fixtures.batch(facts, sequence: sequence))
        try await usage.write(Fixtures.batch(facts, sequence: sequence))
    }

    func settings(log: AuditLogSink?, usage: AuditLogSink?) throws -> InvoicingSettings {
        var settings = try InvoiceStoreTests.settings()
        settings.auditLog = log
        settings.usageTrail = usage
        return settings
    }

    @Test func finalizeAndVoidAreChainedInvoiceLinesWithTheContentHashAndTheUsagePosition() async throws {
        let dir = try TemporaryDirectory("invoice-audit")
        defer { dir.remove() }
        try await TestLedger.with { db in
            let usage = trail(dir.file("usage"), id: "audit")
            try await usage.open(pipeline: "main", lastCommittedSequence: 0)
            let log = trail(dir.file("invoices"), id: "invoice_audit")
            try await write(db, usage: usage, subject: 1, gigabytes: 3, sequence: 1)
            try await write(db, usage: usage, subject: 2, gigabytes: 5, sequence: 2)
            try await base.settle(db)
            let store = try base.store(db)
            let settings = try settings(log: log, usage: usage)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: InvoiceStoreTests.november)
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            let finalized = try await lifecycle.finalize(
                period: InvoiceStoreTests.november, force: false, reason: nil, now: InvoiceStoreTests.later)
            #expect(finalized.count == 2)
            let usageEnd = try #require(try usage.lastPosition())
            #expect(finalized.allSatisfy { $0.audit == usageEnd })
            #expect(usageEnd.seq == 9)  // an open line and eight usage lines

            let voided = try await lifecycle.void(
                id: finalized[0].id, reason: "billed twice", now: InvoiceStoreTests.later)
            let entries = try await log.entries(after: nil)
            #expect(entries.map(\.entry.event) == [.finalized, .finalized, .void])
            #expect(entries.map(\.entry.number) == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000001"])
            #expect(entries[1].entry.contentHash == InvoiceJSON.contentHash(finalized[1]))
            #expect(entries[2].entry.contentHash == InvoiceJSON.contentHash(voided))
            #expect(entries[2].entry.reason == "billed twice")
            #expect(entries[0].entry.usageAudit == usageEnd)
            #expect(entries[1].entry.total == Money(units: 5))
            // The finalization line keeps the content as finalized, not as voided later.
            #expect(entries[0].entry.contentHash == InvoiceJSON.contentHash(finalized[0]))

            // `audit verify` checks the invoice lines like usage lines, and a tampered total breaks the chain.
            let verified = try AuditVerifier.verify(path: dir.file("invoices"))
            #expect(verified.invoiceLines == 3 && verified.lineCount == 4)
            #expect(
                try await db.integer(
                    "SELECT count(*) FROM \(db.schema.name).invoice_audit_events WHERE audit_seq IS NOT NULL") == 3)
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("invoices"))
            let file = dir.file("invoices/" + (try #require(names.first { $0.hasSuffix(".jsonl") })))
            let text = try String(contentsOfFile: file, encoding: .utf8)
            try text.replacingOccurrences(of: "\"total\":\"5\"", with: "\"total\":\"4\"")
                .write(toFile: file, atomically: false, encoding: .utf8)
            #expect(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: dir.file("invoices")) }
        }
    }

    @Test func anInvoiceRecomputedFromTheUsageTrailMatchesAndAMissingLineIsNamed() async throws {
        let dir = try TemporaryDirectory("invoice-verify")
        defer { dir.remove() }
        try await TestLedger.with { db in
            let usage = trail(dir.file("usage"), id: "audit")
            try await usage.open(pipeline: "main", lastCommittedSequence: 0)
            try await write(db, usage: usage, subject: 1, gigabytes: 3, sequence: 1)
            try await write(db, usage: usage, subject: 1, gigabytes: 2, sequence: 2, part: 1)
            try await base.settle(db)
            let store = try base.store(db)
            let settings = try settings(log: nil, usage: usage)
            _ = try await InvoiceRun(store: store, settings: settings).run(period: InvoiceStoreTests.november)
            let id = InvoiceID.make(subject: "acct-1", period: InvoiceStoreTests.november, currency: "USD")
            let invoice = try await InvoiceLifecycle(store: store, settings: settings).finalize(
                id: id, force: false, reason: nil, now: InvoiceStoreTests.later)
            #expect(invoice.total == Money(units: 5))

            // Late usage after finalization is after the recorded position: verification reads up to it.
            try await write(db, usage: usage, subject: 1, gigabytes: 7, sequence: 3, part: 2)
            let position = try #require(invoice.audit)
            let read = try AuditLogFactory().auditedUsage(at: dir.file("usage"), through: position.seq)
            #expect(read.reached == position)
            #expect(read.facts.count == 8)
            let report = try InvoiceAuditVerification.check(invoice, facts: read.facts, spans: [], settings: settings)
            #expect(report.matches, "\(report.differences)")
            #expect(report.recomputed.total == invoice.total)

            // The whole trail holds the late usage: the same check names the line that differs.
            let all = try AuditLogFactory().auditedUsage(at: dir.file("usage"), through: nil)
            let drifted = try InvoiceAuditVerification.check(invoice, facts: all.facts, spans: [], settings: settings)
            #expect(!drifted.matches)
            #expect(drifted.differences.contains { $0.hasPrefix("line 1:") && $0.contains("uplink_bytes") })
            #expect(drifted.differences.contains { $0.hasPrefix("total:") && $0.contains("12") })
        }
    }

    @Test func aCrashBetweenTheDatabaseAndTheTrailIsCaughtUpOnceAndNeverTwice() async throws {
        let dir = try TemporaryDirectory("invoice-catch-up")
        defer { dir.remove() }
        try await TestLedger.with { db in
            let log = trail(dir.file("invoices"), id: "invoice_audit")
            let usage = trail(dir.file("usage"), id: "audit")
            try await usage.open(pipeline: "main", lastCommittedSequence: 0)
            for s in 1...3 { try await write(db, usage: usage, subject: s, gigabytes: 1, sequence: UInt64(s)) }
            try await base.settle(db)
            let store = try base.store(db)
            // Finalized while no trail was configured (or the process died before appending): pending events.
            let noTrail = try settings(log: nil, usage: nil)
            _ = try await InvoiceRun(store: store, settings: noTrail).run(period: InvoiceStoreTests.november)
            let first = try await InvoiceLifecycle(store: store, settings: noTrail).finalize(
                period: InvoiceStoreTests.november, force: false, reason: nil, now: InvoiceStoreTests.later)
            #expect(first.count == 3)
            #expect(try await store.unauditedEvents().count == 3)

            // The process died after appending the first line but before recording it.
            let lost = try InvoiceAuditRecorder.entry(first[0], .finalized)
            _ = try await log.withLock { try await log.append([lost]) }

            let recorder = InvoiceAuditRecorder(store: store, log: log)
            #expect(try await recorder.catchUp() == 3)
            #expect(try await recorder.catchUp() == 0)
            let entries = try await log.entries(after: nil)
            #expect(entries.map(\.entry.invoiceID) == first.map(\.id))
            #expect(try await store.unauditedEvents().isEmpty)
            #expect(try await store.lastRecordedAuditSeq() == 4)  // open line + three invoice lines

            // Two recorders in one process, each with its own sink over the same trail, never interleave.
            let voided = try await InvoiceLifecycle(store: store, settings: noTrail).void(
                id: first[1].id, reason: "wrong customer", now: InvoiceStoreTests.later)
            #expect(voided.status == .void)
            let other = trail(dir.file("invoices"), id: "invoice_audit")
            async let a = InvoiceAuditRecorder(store: store, log: other).catchUp()
            async let b = InvoiceAuditRecorder(store: store, log: log).catchUp()
            #expect(try await a + b == 1)
            let verified = try AuditVerifier.verify(path: dir.file("invoices"))
            #expect(verified.invoiceLines == 4)
        }
    }
}
