/// The invoicing tables (issue 14), as migration 4 of the ledger schema.
///
/// Exists so invoices live in the ledger's database and its transactions:
/// drafts and their lines, gapless numbers from one counter row per prefix,
/// activity spans with exact instants. Triggers are the last guard: a
/// finalized invoice's number, content and lines cannot change, except that
/// it may become void (keeping number and lines); a void one never changes.
enum InvoiceMigrations {
    static let invoices = Migration(
        version: 4, name: "invoices, invoice lines, number counters, activity spans",
        statements: [
            """
            CREATE TABLE {schema}.invoice_number_counters (
                prefix text PRIMARY KEY,
                last_value bigint NOT NULL CHECK (last_value > 0),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE {schema}.invoices (
                invoice_id text PRIMARY KEY,
                subject text NOT NULL,
                period_start timestamptz NOT NULL,
                period_end timestamptz NOT NULL,
                currency text NOT NULL,
                status text NOT NULL CHECK (status IN ('draft', 'finalized', 'void')),
                number text UNIQUE,
                number_prefix text,
                number_value bigint,
                total numeric(38,18) NOT NULL,
                total_exact numeric(38,18) NOT NULL,
                content text NOT NULL,
                content_hash text NOT NULL,
                finalized_at_ns bigint,
                voided_at_ns bigint,
                void_reason text,
                forced_reason text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (subject, period_start, currency),
                UNIQUE (number_prefix, number_value),
                CHECK ((status = 'draft') = (number IS NULL)),
                CHECK (status <> 'void' OR (void_reason IS NOT NULL AND voided_at_ns IS NOT NULL))
            )
            """,
            "CREATE INDEX invoices_period ON {schema}.invoices (period_start, subject)",
            """
            CREATE TABLE {schema}.invoice_lines (
                invoice_id text NOT NULL REFERENCES {schema}.invoices (invoice_id),
                position integer NOT NULL,
                kind text NOT NULL CHECK (kind IN ('usage', 'fee', 'discount', 'credit', 'adjustment')),
                metric text NOT NULL,
                description text NOT NULL,
                quantity numeric(39,0),
                unit text NOT NULL,
                amount numeric(38,18) NOT NULL,
                amount_rounded numeric(38,18) NOT NULL,
                refers_to text,
                PRIMARY KEY (invoice_id, position)
            )
            """,
            """
            CREATE TABLE {schema}.activity_spans (
                subject text NOT NULL,
                dimension_key text NOT NULL DEFAULT '',
                dimension_value text NOT NULL DEFAULT '',
                start_ns bigint NOT NULL,
                stop_ns bigint,
                imported_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (subject, dimension_key, dimension_value, start_ns),
                CHECK (stop_ns IS NULL OR stop_ns >= start_ns)
            )
            """,
            """
            CREATE FUNCTION {schema}.invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status <> 'draft' THEN
                        RAISE EXCEPTION 'invoice % is %: it cannot be deleted', OLD.invoice_id, OLD.status;
                    END IF;
                    RETURN OLD;
                END IF;
                IF OLD.status = 'void' THEN
                    RAISE EXCEPTION 'invoice % is void: it never changes', OLD.invoice_id;
                END IF;
                IF OLD.status = 'finalized' AND (NEW.status <> 'void' OR NEW.number IS DISTINCT FROM OLD.number
                    OR NEW.total <> OLD.total OR NEW.total_exact <> OLD.total_exact
                    OR NEW.finalized_at_ns IS DISTINCT FROM OLD.finalized_at_ns) THEN
                    RAISE EXCEPTION 'invoice % is finalized: only a void may follow', OLD.invoice_id;
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER invoices_guard BEFORE UPDATE OR DELETE ON {schema}.invoices
                FOR EACH ROW EXECUTE FUNCTION {schema}.invoice_guard()
            """,
            """
            CREATE FUNCTION {schema}.invoice_lines_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                state text;
            BEGIN
                SELECT status INTO state FROM {schema}.invoices
                    WHERE invoice_id = COALESCE(NEW.invoice_id, OLD.invoice_id);
                IF state IS DISTINCT FROM 'draft' THEN
                    RAISE EXCEPTION 'invoice % is %: its lines never change', COALESCE(NEW.invoice_id, OLD.invoice_id),
                        state;
                END IF;
                RETURN COALESCE(NEW, OLD);
            END
            $$
            """,
            """
            CREATE TRIGGER invoice_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON {schema}.invoice_lines
                FOR EACH ROW EXECUTE FUNCTION {schema}.invoice_lines_guard()
            """,
        ])

    /// Migration 5: which finalizations and voids are in the invoicing audit
    /// trail. A row is inserted, without a position, in the transaction that
    /// finalizes or voids; the position is filled once the line is appended. A
    /// crash between the two leaves a row without one, and the next invoice
    /// command appends what is missing (after checking the trail), so every
    /// event is in the trail exactly once.
    static let auditEvents = Migration(
        version: 5, name: "invoice audit events",
        statements: [
            """
            CREATE TABLE {schema}.invoice_audit_events (
                invoice_id text NOT NULL REFERENCES {schema}.invoices (invoice_id),
                event text NOT NULL CHECK (event IN ('finalized', 'void')),
                at_ns bigint NOT NULL,
                audit_file text,
                audit_seq bigint,
                audit_hash text,
                recorded_at timestamptz,
                PRIMARY KEY (invoice_id, event),
                CHECK ((audit_seq IS NULL) = (audit_hash IS NULL))
            )
            """,
            """
            CREATE INDEX invoice_audit_events_pending ON {schema}.invoice_audit_events (at_ns)
                WHERE audit_seq IS NULL
            """,
            // `max(audit_seq)` (the last recorded line) is read before every append.
            "CREATE INDEX invoice_audit_events_seq ON {schema}.invoice_audit_events (audit_seq)",
        ])

    /// A voided invoice may be replaced by a new one for the same subject,
    /// period and currency (`invoice void --replace`): one invoice per key that
    /// is not void, the replacement naming the one it replaces, each voided
    /// invoice replaced at most once.
    static let replacements = Migration(
        version: 7, name: "replacement invoices",
        statements: [
            "ALTER TABLE {schema}.invoices DROP CONSTRAINT invoices_subject_period_start_currency_key",
            """
            CREATE UNIQUE INDEX invoices_current ON {schema}.invoices (subject, period_start, currency)
                WHERE status <> 'void'
            """,
            """
            ALTER TABLE {schema}.invoices
                ADD COLUMN root_id text,
                ADD COLUMN replaces_id text UNIQUE REFERENCES {schema}.invoices (invoice_id),
                ADD CHECK ((root_id IS NULL) = (replaces_id IS NULL))
            """,
            "CREATE INDEX invoices_root ON {schema}.invoices (root_id) WHERE root_id IS NOT NULL",
        ])
}
