/// A source that can write its whole (finite) run as a replayable fixture
/// file: `billing-service generate` asks the configured source for this
/// instead of knowing the generator type.
public protocol FixtureWriting: ObservationSource {
    /// Writes the run to `path` (overwriting it) in the fixture format named
    /// `format`, a `file_replay` `format:` value (`xray_snapshots`,
    /// `vm_metrics`, `observations`). Returns what was written, in the words
    /// `generate` prints; throws `PluginError` naming why not (an infinite run,
    /// a format of a family the source does not produce, an unwritable file).
    func writeFixture(formatNamed format: String, to path: String) throws -> String
}
