public import Core

/// A configuration was refused: every problem of every file involved, together.
public struct ConfigurationInvalid: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(errors: [ConfigError]) { self.errors = errors }

    public var problemCount: Int { errors.reduce(0) { $0 + $1.problems.count } }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
