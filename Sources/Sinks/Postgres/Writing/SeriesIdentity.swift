public import Core
import Crypto

/// The 16-byte identity of a series in the ledger (`usage_facts.series_id`,
/// `minute_totals.series_id`): the first 16 bytes of SHA-256 over
/// `SeriesKey.canonicalBytes()`.
///
/// Exists so minute totals are keyed by a fixed-size value instead of the
/// label strings (a small, fast primary key), and so readers can recompute the
/// id of any series from its labels (docs/schema.md).
public enum SeriesIdentity {
    public static func id(of series: SeriesKey) -> Digest128 {
        Digest128(prefixOf: Array(SHA256.hash(data: series.canonicalBytes())))
    }
}
