import Core
import PostgresNIO
import Synchronization

/// The series this sink has seen committed to the `series` table (migration
/// 8), so a batch of known series sends no insert for them.
///
/// Bounded: past `capacity` ids it forgets them all and starts again (an
/// insert of a known series changes nothing, so forgetting costs one statement).
/// Only ids of committed transactions are added, so a rolled-back batch never
/// leaves an id here whose row is missing.
final class KnownSeries: Sendable {
    private let ids = Mutex<Set<Digest128>>([])
    let capacity: Int

    init(capacity: Int = 1 << 20) { self.capacity = capacity }

    func contains(_ id: Digest128) -> Bool { ids.withLock { $0.contains(id) } }

    func insert(_ new: [Digest128]) {
        guard !new.isEmpty else { return }
        ids.withLock { set in
            if set.count + new.count > capacity { set.removeAll(keepingCapacity: true) }
            set.formUnion(new)
        }
    }
}

extension LedgerWriter {
    /// Adds the labels of the batch's series not yet known to the `series`
    /// table (in id order, so two writers never wait on each other in a cycle);
    /// returns the ids sent, for `KnownSeries` once the transaction commits.
    func insertSeries(_ series: [FactCopyEncoder.EncodedSeries], on connection: PostgresConnection) async throws
        -> [Digest128]
    {
        var fresh: [(id: Digest128, key: SeriesKey)] = []
        for entry in series {
            let id = SeriesIdentity.id(of: entry.key)
            if knownSeries?.contains(id) == true { continue }
            fresh.append((id, entry.key))
        }
        guard !fresh.isEmpty else { return [] }
        fresh.sort { $0.id < $1.id }
        let ids = fresh.map(\.id.uuidString)
        let sources = fresh.map(\.key.source)
        let subjects = fresh.map(\.key.subject)
        let metrics = fresh.map(\.key.metric)
        let dimensions = fresh.map { FactCopyEncoder.dimensionsJSON($0.key.dimensions) }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema.series) (series_id, source, subject, metric, dimensions)
            SELECT * FROM unnest(\(ids)::uuid[], \(sources)::text[], \(subjects)::text[], \(metrics)::text[],
                \(dimensions)::jsonb[])
            ON CONFLICT (series_id) DO NOTHING
            """, logger: logger)
        return fresh.map(\.id)
    }

    /// The same for a batch that took the staging path (a replay): from the staging table.
    func insertStagedSeries(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema.series) (series_id, source, subject, metric, dimensions)
            SELECT DISTINCT ON (series_id) series_id, source, subject, metric, dimensions
            FROM \(unescaped: Self.stagingTable) ORDER BY series_id
            ON CONFLICT (series_id) DO NOTHING
            """, logger: logger)
    }
}
