public import Core
public import Invoicing
import YAMLConfig

/// The `invoicing:` section of plugins.yaml, resolved: the customers file read
/// and checked, the sinks it names found by capability.
///
/// ```yaml
/// invoicing:
///   period: month                 # calendar months in UTC (the only period so far)
///   customers: customers.yaml     # subject -> name, address, plan, coupons
///   number_prefix: "INV-{year}-"  # {year}: the finalization's UTC year
///   settle_delay: 60s             # the completeness gate waits this past the period end
///   store_sink: ledger            # the sink keeping invoices (default: the only one that can)
///   audit_sink: invoice_audit     # a jsonl_audit sink no pipeline writes: finalizations and voids
///   usage_audit_sink: audit       # the usage trail an invoice records its position in
///                                 # (default: the only jsonl_audit sink a pipeline writes)
/// ```
public struct InvoicingSection: Sendable {
    public var customersFile: String?
    public var customers: CustomerDirectory = .empty
    public var numberPrefix = "INV-{year}-"
    public var settleDelay: Duration = .seconds(60)
    public var storeSink: String?
    public var auditLog: (any InvoiceAuditLog)?
    public var usageTrail: (any AuditTrail)?

    public init() {}

    /// Decodes the section; problems go to the map's diagnostics, a bad customers file to `errors`.
    static func decode(
        _ map: ConfigMap, sinks: [(id: String, sink: any FactSink, type: String)], sinkOwner: [String: String],
        context: PluginContext, errors: inout [ConfigError]
    ) -> InvoicingSection {
        var section = InvoicingSection()
        if let period = map.string("period"), period != "month" {
            map.problem("period", "unknown value \"\(period)\" (valid: month: calendar months in UTC)")
        }
        if let file = map.string("customers") {
            let path = context.resolve(path: file)
            section.customersFile = path
            do {
                section.customers = try CustomerDirectory.decode(YAMLDocument.load(path: path), file: path)
            } catch {
                errors.append(error)
            }
        }
        if let prefix = map.string("number_prefix", required: false) {
            if prefix.isEmpty || prefix.contains(where: \.isWhitespace) {
                map.problem("number_prefix", "must be non-empty without spaces, found \"\(prefix)\"")
            } else {
                section.numberPrefix = prefix
            }
        }
        section.settleDelay = map.duration("settle_delay") ?? section.settleDelay
        let built = Dictionary(sinks.map { ($0.id, $0.sink) }, uniquingKeysWith: { first, _ in first })
        if let id = map.string("store_sink") {
            if built[id] is any InvoiceStoreProvider {
                section.storeSink = id
            } else if built[id] != nil {
                map.problem("store_sink", "sink \"\(id)\" cannot keep invoices (a postgres sink can)")
            } else if !map.diagnostics.problems.contains(where: { $0.path.hasPrefix("sinks.\(id)") }) {
                map.problem("store_sink", "unknown sink \"\(id)\"")
            }
        }
        if let id = map.string("audit_sink") {
            if built[id] == nil {
                map.problem("audit_sink", "unknown sink \"\(id)\"")
            } else if !(built[id] is any InvoiceAuditLog) {
                map.problem("audit_sink", "sink \"\(id)\" cannot record invoices (a jsonl_audit sink can)")
            } else if let owner = sinkOwner[id] {
                map.problem(
                    "audit_sink",
                    "sink \"\(id)\" is written by pipeline \"\(owner)\"; invoice lines need a jsonl_audit sink "
                        + "of their own that no pipeline writes")
            } else {
                section.auditLog = built[id] as? any InvoiceAuditLog
            }
        }
        if let id = map.string("usage_audit_sink") {
            let trails = usageTrails(sinks: sinks, sinkOwner: sinkOwner)
            if let trail = trails.first(where: { $0.auditTrailID == id }) {
                section.usageTrail = trail
            } else {
                map.problem(
                    "usage_audit_sink",
                    "\"\(id)\" is not a jsonl_audit sink a pipeline writes (those: "
                        + "\(ConfigLoader.list(trails.map(\.auditTrailID))))")
            }
        } else {
            section.usageTrail = onlyUsageTrail(sinks: sinks, sinkOwner: sinkOwner)
        }
        map.finish()
        return section
    }

    /// The audit trails pipelines write, in declaration order.
    static func usageTrails(sinks: [(id: String, sink: any FactSink, type: String)], sinkOwner: [String: String])
        -> [any AuditTrail]
    {
        sinks.filter { sinkOwner[$0.id] != nil }.compactMap { $0.sink as? any AuditTrail }
    }

    /// The usage trail when no `usage_audit_sink` names one: the only trail a pipeline writes, if there is one.
    static func onlyUsageTrail(sinks: [(id: String, sink: any FactSink, type: String)], sinkOwner: [String: String])
        -> (any AuditTrail)?
    {
        let trails = usageTrails(sinks: sinks, sinkOwner: sinkOwner)
        return trails.count == 1 ? trails.first : nil
    }
}
