public import Core
import WireFormats

/// What `billing-service generate` asks of a generator source: its run written
/// as a fixture, so the host needs no import of this target.
extension GeneratorSource: FixtureWriting {
    public func writeFixture(formatNamed format: String, to path: String) throws -> String {
        guard let fixtureFormat = FixtureFormat(rawValue: format) else {
            throw PluginError(
                .permanent, component: component,
                "unknown fixture format \"\(format)\" (valid: "
                    + FixtureFormat.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        return String(describing: try writeFixture(format: fixtureFormat, to: path))
    }
}
