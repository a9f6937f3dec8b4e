/// One versioned schema change, shipped inside the binary as SQL text.
///
/// Exists so the schema a binary writes is exactly the schema it was built
/// against: `migrate` applies the missing versions in order, `run` refuses a
/// database that lacks one. Statements name the schema as `{schema}`; each is
/// sent on its own (the extended protocol takes one statement at a time).
/// Never edit a released migration: add a new version.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    let statements: [String]

    func sql(in schema: LedgerSchema) -> [String] {
        statements.map { $0.replacingOccurrences(of: "{schema}", with: schema.name) }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}

/// Every migration this binary knows, in version order. Documented column by column in docs/schema.md.
public enum LedgerMigrations {
    public static let all: [Migration] = [
        initial, totalsKeyedBySubject, totalsKeyCoversUsage, InvoiceMigrations.invoices,
        InvoiceMigrations.auditEvents, requestKeys, InvoiceMigrations.replacements, seriesCatalog,
    ]

    /// The newest version; a database at a lower one is behind.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    static let initial = Migration(
        version: 1, name: "ledger, minute totals, pipeline state, batch log",
        statements: [
            """
            CREATE TABLE {schema}.batch_log (
                batch_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pipeline text NOT NULL,
                sequence bigint NOT NULL CHECK (sequence > 0),
                source text NOT NULL,
                fact_count integer NOT NULL,
                inserted_count integer NOT NULL,
                written_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (pipeline, sequence)
            )
            """,
            """
            CREATE TABLE {schema}.usage_facts (
                fact_id uuid NOT NULL,
                minute timestamptz NOT NULL,
                series_id uuid NOT NULL,
                source text NOT NULL,
                subject text NOT NULL,
                metric text NOT NULL,
                dimensions jsonb NOT NULL,
                from_at timestamptz NOT NULL,
                to_at timestamptz NOT NULL,
                from_ns bigint NOT NULL,
                to_ns bigint NOT NULL,
                quantity numeric(20,0) NOT NULL CHECK (quantity >= 0),
                flags smallint NOT NULL,
                amount numeric(38,18) NOT NULL,
                currency text NOT NULL,
                price_book text NOT NULL,
                batch_id bigint NOT NULL,
                inserted_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (fact_id, minute)
            ) PARTITION BY RANGE (minute)
            """,
            """
            CREATE TABLE {schema}.minute_totals (
                series_id uuid NOT NULL,
                minute timestamptz NOT NULL,
                currency text NOT NULL,
                source text NOT NULL,
                subject text NOT NULL,
                metric text NOT NULL,
                quantity numeric(39,0) NOT NULL,
                amount numeric(38,18) NOT NULL,
                fact_count bigint NOT NULL,
                PRIMARY KEY (series_id, minute, currency)
            )
            """,
            "CREATE INDEX minute_totals_subject_minute ON {schema}.minute_totals (subject, minute)",
            """
            CREATE TABLE {schema}.pipeline_state (
                pipeline text PRIMARY KEY,
                last_committed_sequence bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE {schema}.source_state (
                pipeline text NOT NULL,
                source text NOT NULL,
                cursor jsonb,
                first_minute_ns bigint,
                last_attempted_ns bigint,
                last_succeeded_ns bigint,
                last_error text,
                consecutive_failures integer NOT NULL DEFAULT 0,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (pipeline, source)
            )
            """,
            """
            CREATE TABLE {schema}.series_baselines (
                pipeline text NOT NULL,
                series_digest uuid NOT NULL,
                time_ns bigint NOT NULL,
                value numeric(20,0) NOT NULL,
                PRIMARY KEY (pipeline, series_digest)
            )
            """,
        ])

    /// One index on minute totals instead of two: the key leads with
    /// (subject, minute), which the usage query reads by, and still identifies a
    /// row by series, minute and currency (a series belongs to one subject). A
    /// batch's totals then cost one index insertion per row, which lets an
    /// all-new batch COPY them straight in (docs/schema.md). The key's text
    /// columns use the "C" collation (byte order).
    static let totalsKeyedBySubject = Migration(
        version: 2, name: "minute totals keyed by (subject, minute, series_id, currency)",
        statements: [
            "ALTER TABLE {schema}.minute_totals DROP CONSTRAINT minute_totals_pkey",
            "DROP INDEX {schema}.minute_totals_subject_minute",
            // Key text compared byte by byte: cheaper than the locale's collation
            // and the same order on every server.
            """
            ALTER TABLE {schema}.minute_totals
                ALTER COLUMN subject TYPE text COLLATE "C", ALTER COLUMN currency TYPE text COLLATE "C"
            """,
            "ALTER TABLE {schema}.minute_totals ADD PRIMARY KEY (subject, minute, series_id, currency)",
        ])

    /// The totals key carries the columns the usage query sums, so a subject's
    /// range is read from the key's leaf pages alone (an index-only scan) instead
    /// of one heap page per minute row. The pages a scan still visits in the heap
    /// are those changed since the last vacuum, so vacuum runs after 2% of the
    /// table changed instead of 20% (docs/schema.md).
    static let totalsKeyCoversUsage = Migration(
        version: 3, name: "minute totals key includes metric, quantity, amount",
        statements: [
            """
            ALTER TABLE {schema}.minute_totals DROP CONSTRAINT minute_totals_pkey,
                ADD PRIMARY KEY (subject, minute, series_id, currency) INCLUDE (metric, quantity, amount)
            """,
            """
            ALTER TABLE {schema}.minute_totals SET (
                autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02)
            """,
        ])

    /// Push idempotency keys (`request_id`) with the digest of the body first
    /// sent under each, committed with the batch's state so a restarted daemon
    /// or another replica answers a different body under a known key 409.
    /// Kept as long as the ledger: one row per keyed record, smaller than the
    /// fact it guards. Keyed by one uuid (`RequestKeyID`), so a lookup of many
    /// keys is one index probe each whatever the table's statistics say (with
    /// a three-column text key, a table not yet analyzed was scanned whole).
    static let requestKeys = Migration(
        version: 6, name: "push request keys",
        statements: [
            """
            CREATE TABLE {schema}.push_request_keys (
                key_id uuid PRIMARY KEY,
                pipeline text NOT NULL,
                source text NOT NULL,
                request_id text NOT NULL,
                digest text NOT NULL,
                sequence bigint NOT NULL,
                committed_at timestamptz NOT NULL DEFAULT now()
            )
            """
        ])

    /// One row per series: its labels, written by the sink with the series'
    /// first facts (in the same transaction). A reader that needs a series'
    /// source and dimensions (an invoice run over a period's minute totals)
    /// reads one row per series here instead of every fact of the period.
    /// Filled from the facts already kept.
    static let seriesCatalog = Migration(
        version: 8, name: "series labels",
        statements: [
            """
            CREATE TABLE {schema}.series (
                series_id uuid PRIMARY KEY,
                source text NOT NULL,
                subject text NOT NULL,
                metric text NOT NULL,
                dimensions jsonb NOT NULL
            )
            """,
            """
            INSERT INTO {schema}.series (series_id, source, subject, metric, dimensions)
            SELECT DISTINCT ON (series_id) series_id, source, subject, metric, dimensions
            FROM {schema}.usage_facts ORDER BY series_id
            """,
        ])
}
