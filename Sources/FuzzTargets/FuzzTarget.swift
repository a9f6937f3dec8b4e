/// Every decoder the daemon runs on bytes from outside, as one fuzz entry each.
///
/// Exists so the libFuzzer executable (`billing-fuzz`, `FUZZ_TARGET=<raw value>`)
/// and the corpus replay test drive the same entry points and the same invariants;
/// the raw value is also the corpus folder's name (`fuzz/corpus/<raw value>/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `POST /v1/ingest/snapshots` bodies (`XraySnapshotBodyDecoder`).
    case xrayBody = "xray_body"
    /// `GET /v1/snapshots/window` pages (`XraySnapshotDecoder.decodeWindowPage`).
    case windowPage = "window_page"
    /// The project's observation lines (`ObservationLineDecoder`).
    case observations
    /// metald `SendMetricsBatch` lines (`VMMetricsBatchDecoder`).
    case vmMetrics = "vm_metrics"
    /// `FixtureLineDecoder` of every format; the first byte picks the format.
    case fixtureLines = "fixture_lines"
    /// `Timestamp(rfc3339:)`.
    case rfc3339
    /// plugins.yaml through `YAMLDocument` and `ConfigLoader` with the built-in registry.
    case config
    /// A price book document (one version or `versions:`, plans) through `PriceCatalog.decode`.
    case priceBook = "price_book"
    /// One audit line as `audit verify` reads it, the chain apart (`AuditLineCheck`).
    case auditLine = "audit_line"
    /// `DatabaseURL(parsing:)`.
    case databaseURL = "database_url"
}

/// An input that broke a promise of a decoder (not merely refused by it).
///
/// Exists so a violated invariant names the target and what failed; the fuzz
/// executable turns it into a crash libFuzzer saves, the replay test into a failure.
public struct FuzzInvariantViolation: Error, Sendable, CustomStringConvertible {
    public var target: FuzzTarget
    public var message: String

    public init(_ target: FuzzTarget, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target.rawValue): \(message)" }
}

/// Whether a decoder took an input (and its invariants held) or refused it.
///
/// Exists so the corpus replay can show that the committed seeds reach the
/// success paths, not only the refusals.
public enum FuzzOutcome: Sendable, Hashable {
    case accepted
    case refused
}
