public import Core

extension ServiceSettings.Token {
    /// The shortest token value accepted, in bytes. A bearer token is the whole
    /// credential: 16 bytes of random text is beyond guessing; a word is not.
    public static let minimumBytes = 16

    /// Reads this token's value from its `token_env` or `token_file`, as `serve`
    /// does at start and `validate` does to check it. The error names the token
    /// id and where its value was looked for, never the value.
    public func value(context: PluginContext) throws(TokenUnreadable) -> String {
        let value: String
        do {
            value = try secret.resolve(context: context)
        } catch {
            throw TokenUnreadable(message: "service.tokens \(id): \(error)")
        }
        guard value.utf8.count >= Self.minimumBytes else {
            throw TokenUnreadable(
                message: "service.tokens \(id): the token from \(secret) is \(value.utf8.count) bytes; "
                    + "at least \(Self.minimumBytes) are required (for example `openssl rand -hex 16`)")
        }
        return value
    }
}

/// A `service.tokens` entry whose value cannot be read or is too short (names
/// the token and where it was looked for).
public struct TokenUnreadable: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
