/// The PostgreSQL schema (namespace) that holds the ledger tables, `billing` by default.
///
/// Exists so SQL text can name tables without quoting or injection risk: the
/// name is checked once to be a plain lowercase identifier, then interpolated.
/// Tests use a fresh schema each so they never see each other's rows.
public struct LedgerSchema: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public static let `default` = LedgerSchema(checked: "billing")

    /// `nil` unless `name` is 1–63 characters of `a-z`, `0-9`, `_`, not starting with a digit,
    /// and not a reserved `pg_` name.
    public init?(_ name: String) {
        guard Self.isValid(name) else { return nil }
        self.name = name
    }

    private init(checked name: String) { self.name = name }

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), !name.hasPrefix("pg_") else { return false }
        for (i, c) in bytes.enumerated() {
            let lower = c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")
            let digit = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
            guard lower || c == UInt8(ascii: "_") || (digit && i > 0) else { return false }
        }
        return true
    }

    public var description: String { name }

    /// `schema.table`.
    func table(_ table: String) -> String { "\(name).\(table)" }

    /// The facts table's unqualified name (COPY resolves it through the search path).
    static let factsTableName = "usage_facts"

    var facts: String { table(Self.factsTableName) }
    static let minuteTotalsTableName = "minute_totals"
    var minuteTotals: String { table(Self.minuteTotalsTableName) }
    var pipelineState: String { table("pipeline_state") }
    var sourceState: String { table("source_state") }
    var baselines: String { table("series_baselines") }
    var batchLog: String { table("batch_log") }
    static let requestKeysTableName = "push_request_keys"
    var requestKeys: String { table(Self.requestKeysTableName) }
    var series: String { table("series") }
    var migrations: String { table("schema_migrations") }

    /// SQL counting the minute-total rows that differ from the sums of their facts
    /// (or exist on one side only): 0 on a consistent ledger. The invariant of
    /// docs/schema.md, checked by the tests, the crash tests and the benchmark.
    public var totalsMismatchQuery: String {
        """
        SELECT count(*) FROM (
            SELECT series_id, minute, currency, sum(quantity) AS q, sum(amount) AS a, count(*) AS n
            FROM \(facts) GROUP BY series_id, minute, currency
        ) f FULL JOIN \(minuteTotals) t USING (series_id, minute, currency)
        WHERE f.q IS DISTINCT FROM t.quantity OR f.a IS DISTINCT FROM t.amount OR f.n IS DISTINCT FROM t.fact_count
        """
    }
}
