internal import Core

/// What a `cut` line records: the uncommitted tail removed when the sink opened.
struct AuditCut: Equatable, Sendable {
    var pipeline: String
    /// The last batch the state store committed (the sink keeps every line up to it).
    var committedBatch: UInt64
    var removedLines: UInt64
    var firstRemovedSeq: UInt64?
    var lastRemovedSeq: UInt64?
    var firstRemovedBatch: UInt64?
    var lastRemovedBatch: UInt64?
    /// Bytes of an incomplete last line (a crash mid-write) that were removed.
    var tornBytes: UInt64
    /// Files removed whole, oldest first.
    var removedFiles: [String]
    var reason: String
    var at: Timestamp
}

/// Encodes the four line kinds (`usage`, `cut`, `open`, `invoice`) in their fixed key order.
/// The key order here is the format; docs/audit-format.md lists it.
enum AuditLineEncoder {
    /// Why a fact cannot be written as a canonical line.
    struct EncodingProblem: Error, CustomStringConvertible {
        var description: String
    }

    static func appendUsage(
        _ fact: UsageFact, pipeline: String, batch: UInt64, chain: inout AuditChain,
        to writer: inout CanonicalJSONWriter
    ) throws(EncodingProblem) {
        var units = MetricUnitCache()
        try appendUsage(fact, pipeline: pipeline, batch: batch, chain: &chain, to: &writer, units: &units)
    }

    /// The hot path of the sink: one reservation per line, every member written
    /// through a cursor; `units` remembers `MetricUnit.of` per metric across a batch.
    static func appendUsage(
        _ fact: UsageFact, pipeline: String, batch: UInt64, chain: inout AuditChain,
        to writer: inout CanonicalJSONWriter,
        units: inout MetricUnitCache
    ) throws(EncodingProblem) {
        let dimensions = try canonicalDimensions(fact.series.dimensions)
        var pipeline = pipeline
        var source = fact.series.source
        var subject = fact.series.subject
        var metric = fact.series.metric
        var unit = units.unit(of: metric)
        var currency = fact.currency
        var priceBook = fact.priceBook
        var stringBytes = pipeline.utf8.count + source.utf8.count + subject.utf8.count
        stringBytes += metric.utf8.count + unit.utf8.count + currency.utf8.count + priceBook.utf8.count
        for d in dimensions { stringBytes += d.key.utf8.count + d.value.utf8.count }
        typealias B = ByteCursor.Bound
        // Member names, punctuation and flag names (under 300 bytes), every string
        // (7, and 2 per dimension with `:` and `,`) escaped at worst, fixed-width values.
        let fixed: Int = 2 * B.integer + B.uuid + 3 * B.timestamp + B.money
        let bound: Int = 300 + 6 * stringBytes + 7 * 2 + 6 * dimensions.count + fixed
        chain.appendLine(kind: "usage", to: &writer, fieldsBound: bound) { c in
            c.key("pipeline")
            pipeline.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("batch")
            c.decimal(batch)
            c.key("fact_id")
            c.byte(UInt8(ascii: "\""))
            c.uuid(fact.id)
            c.byte(UInt8(ascii: "\""))
            c.key("source")
            source.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("subject")
            subject.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("metric")
            metric.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("unit")
            unit.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("dimensions")
            c.byte(UInt8(ascii: "{"))
            for (index, d) in dimensions.enumerated() {
                if index > 0 { c.byte(UInt8(ascii: ",")) }
                c.string(d.key)
                c.byte(UInt8(ascii: ":"))
                c.string(d.value)
            }
            c.byte(UInt8(ascii: "}"))
            c.key("minute")
            c.byte(UInt8(ascii: "\""))
            c.rfc3339(fact.minute)
            c.byte(UInt8(ascii: "\""))
            c.key("from")
            c.byte(UInt8(ascii: "\""))
            c.rfc3339(fact.from)
            c.byte(UInt8(ascii: "\""))
            c.key("to")
            c.byte(UInt8(ascii: "\""))
            c.rfc3339(fact.to)
            c.byte(UInt8(ascii: "\""))
            c.key("quantity")
            c.byte(UInt8(ascii: "\""))
            c.decimal(fact.quantity)
            c.byte(UInt8(ascii: "\""))
            c.key("flags")
            c.byte(UInt8(ascii: "["))
            var firstFlag = true
            for (flag, name) in flagNames where fact.flags.contains(flag) {
                if !firstFlag { c.byte(UInt8(ascii: ",")) }
                firstFlag = false
                c.byte(UInt8(ascii: "\""))
                c.raw(name)
                c.byte(UInt8(ascii: "\""))
            }
            c.byte(UInt8(ascii: "]"))
            c.key("amount")
            c.byte(UInt8(ascii: "\""))
            c.money(fact.amount)
            c.byte(UInt8(ascii: "\""))
            c.key("currency")
            currency.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
            c.key("price_book")
            priceBook.withUTF8 { c.string(utf8: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Flag names in `FactFlags.names` order (static, so no array per line).
    static let flagNames: [(FactFlags, StaticString)] = [(.reset, "reset"), (.gap, "gap"), (.initial, "initial")]

    static func appendCut(_ cut: AuditCut, chain: inout AuditChain, to writer: inout CanonicalJSONWriter) {
        chain.appendLine(kind: "cut", to: &writer) { w in
            w.key("pipeline")
            w.string(cut.pipeline)
            w.key("committed_batch")
            w.integer(cut.committedBatch)
            w.key("removed_lines")
            w.integer(cut.removedLines)
            w.key("first_removed_seq")
            w.integer(cut.firstRemovedSeq)
            w.key("last_removed_seq")
            w.integer(cut.lastRemovedSeq)
            w.key("first_removed_batch")
            w.integer(cut.firstRemovedBatch)
            w.key("last_removed_batch")
            w.integer(cut.lastRemovedBatch)
            w.key("torn_bytes")
            w.integer(cut.tornBytes)
            w.key("removed_files")
            w.raw(UInt8(ascii: "["))
            for (index, name) in cut.removedFiles.enumerated() {
                if index > 0 { w.raw(UInt8(ascii: ",")) }
                w.string(name)
            }
            w.raw(UInt8(ascii: "]"))
            w.key("reason")
            w.string(cut.reason)
            w.key("at")
            w.timestamp(cut.at)
        }
    }

    static func appendInvoice(
        _ entry: InvoiceAuditEntry, chain: inout AuditChain, to writer: inout CanonicalJSONWriter
    ) {
        chain.appendLine(kind: "invoice", to: &writer) { w in
            w.key("event")
            w.string(entry.event.rawValue)
            w.key("invoice_id")
            w.string(entry.invoiceID)
            w.key("number")
            w.string(entry.number)
            w.key("subject")
            w.string(entry.subject)
            w.key("period")
            w.string(entry.period)
            w.key("currency")
            w.string(entry.currency)
            w.key("total")
            w.money(entry.total)
            w.key("total_exact")
            w.money(entry.totalExact)
            w.key("content_hash")
            w.string(entry.contentHash)
            w.key("usage_audit_file")
            w.string(entry.usageAudit?.file)
            w.key("usage_audit_seq")
            w.integer(entry.usageAudit.map { UInt64(max(0, $0.seq)) })
            w.key("usage_audit_hash")
            w.string(entry.usageAudit?.hash)
            w.key("reason")
            w.string(entry.reason)
            w.key("at")
            w.timestamp(entry.at)
        }
    }

    static func appendOpen(
        file: String, previousFile: String?, createdAt: Timestamp, chain: inout AuditChain,
        to writer: inout CanonicalJSONWriter
    ) {
        chain.appendLine(kind: "open", to: &writer) { w in
            w.key("file")
            w.string(file)
            w.key("previous_file")
            w.string(previousFile)
            w.key("created_at")
            w.timestamp(createdAt)
        }
    }

    /// Dimensions sorted by the UTF-8 bytes of their keys (code point order, as
    /// `jq -S` sorts); two dimensions with one key cannot be a JSON object.
    static func canonicalDimensions(_ dimensions: [Dimension]) throws(EncodingProblem) -> [Dimension] {
        var sorted = true
        for i in dimensions.indices.dropFirst() where !precedes(dimensions[i - 1].key, dimensions[i].key) {
            sorted = false
            break
        }
        if sorted { return dimensions }
        let ordered = dimensions.sorted { precedes($0.key, $1.key) }
        for i in ordered.indices.dropFirst() where ordered[i - 1].key == ordered[i].key {
            throw EncodingProblem(description: "dimension \"\(ordered[i].key)\" appears twice in one series")
        }
        return ordered
    }

    @inline(__always)
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
