public import Core
import Logging
import PostgresNIO
import Synchronization

/// The `postgres` sink: writes each batch to the ledger in one transaction.
///
/// Exists because PostgreSQL is the billing source of truth: a batch's facts,
/// the minute totals they add to, its batch log row and (when this database is
/// the pipeline's state store) the pipeline state all commit together or not
/// at all, and writing a batch again changes nothing. Connection failures are
/// retryable `PluginError`s; the host retries the batch and its cursor does not
/// advance until a write succeeded.
public final class PostgresSink: FactSink {
    public let id: String
    public let schema: LedgerSchema
    private let component: String
    private let logger: Logger
    /// The database: made from the config on first use (and shut down by
    /// `close`), or handed in by the caller (who shuts it down).
    private let databaseBox: Mutex<LedgerDatabase?>
    private let makeDatabase: @Sendable () throws -> LedgerDatabase
    private let ownsDatabase: Bool
    private let stateTarget = Mutex<Set<String>>([])
    private let knownPartitions = Mutex<Set<MonthPartition>>([])
    /// Batches left before the writer tries COPYing totals directly again, after
    /// one whose minutes already had totals (a conflict costs the COPY it undoes).
    private let mergeTotalsFor = Mutex<Int>(0)
    static let mergeTotalsAfterConflict = 16
    /// Series whose labels are committed to the `series` table.
    private let knownSeries = KnownSeries()

    /// A sink from its config; the URL secret is read on first use, not here (no I/O at validation).
    public init(id: String, settings: PostgresSinkSettings, context: PluginContext) {
        self.id = id
        self.schema = settings.schema
        self.component = "sinks.\(id)"
        self.logger = context.logger
        let component = "sinks.\(id)"
        let logger = context.logger
        self.databaseBox = Mutex(nil)
        self.ownsDatabase = true
        self.makeDatabase = {
            let text: String
            do {
                text = try settings.databaseURL.resolve(context: context)
            } catch {
                throw PluginError(.permanent, component: component, "database URL: \(error)")
            }
            do {
                let url = try DatabaseURL(parsing: text)
                return LedgerDatabase(url: url, options: settings.connection, schema: settings.schema, logger: logger)
            } catch {
                throw PluginError(.permanent, component: component, "\(error) (from \(settings.databaseURL))")
            }
        }
    }

    /// A sink over a database the caller owns (tests, the benchmark, tools), in the database's schema.
    public init(id: String, database: LedgerDatabase) {
        self.id = id
        self.schema = database.schema
        self.component = "sinks.\(id)"
        self.logger = database.logger
        self.databaseBox = Mutex(database)
        self.ownsDatabase = false
        self.makeDatabase = { database }
    }

    /// The database this sink writes to (made on first call from the config).
    public func database() throws -> LedgerDatabase {
        try databaseBox.withLock { current in
            if let current { return current }
            let made = try makeDatabase()
            current = made
            return made
        }
    }

    /// Makes this database the state store of `pipeline`: from now on each batch
    /// of that pipeline commits its `stateCommit` in the same transaction as its
    /// facts. Returns the store the host loads and commits through.
    public func stateStore(forPipeline pipeline: String) throws -> PostgresStateStore {
        stateTarget.withLock { _ = $0.insert(pipeline) }
        return PostgresStateStore(database: try database(), schema: schema, component: component)
    }

    /// Whether batches of `pipeline` commit their state in the write transaction.
    public func keepsState(ofPipeline pipeline: String) -> Bool {
        stateTarget.withLock { $0.contains(pipeline) }
    }

    /// Checks the server is reachable (retryable error if not) and the schema is
    /// current (permanent error naming the `migrate` command if not), then
    /// undoes what a dead process wrote of batches it never committed.
    public func open(pipeline: String, lastCommittedSequence: UInt64) async throws {
        let database = try database()
        try await Migrator(database: database, schema: schema).requireCurrent(component: component)
        try await rollBack(pipeline: pipeline, toCommitted: lastCommittedSequence)
    }

    /// Removes the facts, minute-total shares and batch log rows of every batch
    /// of `pipeline` after `lastCommittedSequence`, in one transaction
    /// (`BatchRollback`); nothing to do, and one index probe, when this database
    /// keeps the pipeline's state.
    public func rollBack(pipeline: String, toCommitted lastCommittedSequence: UInt64) async throws {
        let database = try database()
        let schema = self.schema
        let logger = self.logger
        do {
            let result = try await database.withTransaction(component: component) { connection in
                try await BatchRollback(schema: schema, logger: logger).rollBack(
                    pipeline: pipeline, after: lastCommittedSequence, on: connection)
            }
            if result.batches > 0 {
                logger.warning(
                    "rolled back batches that did not commit everywhere",
                    metadata: [
                        "sink": "\(id)", "pipeline": "\(pipeline)", "committed_batch": "\(lastCommittedSequence)",
                        "batches": "\(result.batches)", "facts": "\(result.facts)", "totals": "\(result.totals)",
                    ])
            }
        } catch let refusal as BatchRollback.Refusal {
            throw PluginError(.permanent, component: component, refusal.description)
        } catch {
            throw PostgresErrorMapping.pluginError(
                error, component: component, doing: "rolling back \(pipeline) to batch \(lastCommittedSequence)")
        }
    }

    public func write(_ batch: FactBatch) async throws {
        try validate(batch)
        let database = try database()
        let schema = self.schema
        let logger = self.logger
        let commitState = keepsState(ofPipeline: batch.pipeline)
        do {
            try await ensurePartitions(for: batch.facts, database: database)
            let tryDirectTotals = mergeTotalsFor.withLock { left in
                guard left > 0 else { return true }
                left -= 1
                return false
            }
            let knownSeries = self.knownSeries
            let result = try await database.withTransaction(component: component) { connection in
                try await LedgerWriter(
                    schema: schema, logger: logger, tryDirectTotals: tryDirectTotals, knownSeries: knownSeries
                ).write(batch, commitState: commitState, on: connection)
            }
            knownSeries.insert(result.newSeries)
            if result.directTotalsConflicted {
                mergeTotalsFor.withLock { $0 = Self.mergeTotalsAfterConflict }
            }
            logger.debug(
                "wrote batch",
                metadata: [
                    "sink": "\(id)", "pipeline": "\(batch.pipeline)", "sequence": "\(batch.sequence)",
                    "facts": "\(batch.facts.count)", "new_facts": "\(result.insertedFacts)",
                    "replay": "\(!result.newBatch)", "state_committed": "\(result.stateCommitted)",
                ])
        } catch {
            let mapped = PostgresErrorMapping.pluginError(
                error, component: component, doing: "writing batch \(batch.sequence) of \(batch.pipeline)")
            if mapped.kind == .retryable { knownPartitions.withLock { $0.removeAll() } }
            throw mapped
        }
    }

    /// Shuts the database client down if this sink made it.
    public func close() async throws {
        guard ownsDatabase else { return }
        let database = databaseBox.withLock { current in
            defer { current = nil }
            return current
        }
        await database?.shutdown()
    }

    /// Creates the month partitions the batch needs that this sink has not seen yet.
    private func ensurePartitions(for facts: [UsageFact], database: LedgerDatabase) async throws {
        var months = Set<MonthPartition>()
        var last: Int64 = .min
        for fact in facts {
            // Facts of a batch mostly share a month; skip the hash for repeats.
            let minute = fact.minute.nanosecondsSinceEpoch
            if minute == last { continue }
            last = minute
            months.insert(MonthPartition(containing: fact.minute))
        }
        let missing = knownPartitions.withLock { months.subtracting($0) }
        guard !missing.isEmpty else { return }
        let schema = self.schema
        let logger = self.logger
        try await database.withConnection(component: component) { connection in
            try await MonthPartition.ensure(missing, schema: schema, on: connection, logger: logger)
        }
        knownPartitions.withLock { $0.formUnion(missing) }
    }

    /// Rejects what PostgreSQL cannot store before any I/O, as a permanent error.
    private func validate(_ batch: FactBatch) throws {
        guard batch.sequence > 0, batch.sequence <= UInt64(Int64.max) else {
            throw PluginError(.permanent, component: component, "batch sequence \(batch.sequence) is not 1...2^63-1")
        }
        // The last guard: decoders hold labels to LabelRules and times to the accepted
        // range before anything is written; a fact that still breaks them is a bug upstream.
        func hasNUL(_ text: String) -> Bool { text.utf8.contains(0) }
        for fact in batch.facts {
            let series = fact.series
            if hasNUL(series.source) || hasNUL(series.subject) || hasNUL(series.metric) || hasNUL(fact.currency)
                || hasNUL(fact.priceBook) || series.dimensions.contains(where: { hasNUL($0.key) || hasNUL($0.value) })
            {
                throw PluginError(
                    .permanent, component: component,
                    "fact \(fact.id.uuidString) has a NUL character in a label or code; PostgreSQL text cannot hold it")
            }
            if let violation = LabelRules.violation(in: series.subject, field: .subject)
                ?? LabelRules.violation(in: series.metric, field: .metric)
            {
                throw PluginError(.permanent, component: component, "fact \(fact.id.uuidString): \(violation)")
            }
            guard fact.minute.isAccepted else {
                throw PluginError(
                    .permanent, component: component,
                    "fact \(fact.id.uuidString) is for minute \(fact.minute), outside the accepted years "
                        + "\(Timestamp.acceptedYears.lowerBound)…\(Timestamp.acceptedYears.upperBound)")
            }
        }
    }
}
