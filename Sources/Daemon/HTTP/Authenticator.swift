public import Core
import Hashing
public import Host

/// Checks bearer tokens against the `service.tokens` of plugins.yaml.
///
/// Token values are read once at start (from `token_env`/`token_file`) and kept
/// only as SHA-256 digests; a presented token is hashed and compared with every
/// digest in constant time (no early exit on a mismatching byte or token), so
/// response timing reveals nothing about the tokens.
public struct Authenticator: Sendable {
    struct Entry: Sendable {
        var id: String
        var digest: [UInt8]
        var scopes: Set<ServiceSettings.Scope>
    }

    /// Why a request was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// No or unknown token (HTTP 401).
        case unauthenticated(String)
        /// A known token without the scope (HTTP 403).
        case forbidden(String)
    }

    let entries: [Entry]

    /// Reads every token (`ServiceSettings.Token.value`: at least 16 bytes); the error
    /// names the token id and where its value was looked for, never a value.
    public init(tokens: [ServiceSettings.Token], context: PluginContext) throws {
        var entries: [Entry] = []
        for token in tokens {
            let value = try token.value(context: context)
            entries.append(Entry(id: token.id, digest: Self.digest(Array(value.utf8)), scopes: token.scopes))
        }
        self.entries = entries
    }

    init(entries: [Entry]) { self.entries = entries }

    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The id of the token in `authorization` (`Bearer <token>`) when it has `scope`.
    public func authorize(_ authorization: String?, scope: AccessScope) throws(Refusal) -> String {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            throw .unauthenticated("missing bearer token (Authorization: Bearer <token>)")
        }
        let presented = Self.digest(Array(authorization.dropFirst(7).utf8))
        var match: Entry?
        for entry in entries {
            var difference: UInt8 = 0
            for i in 0..<presented.count { difference |= presented[i] ^ entry.digest[i] }
            if difference == 0 { match = entry }
        }
        guard let match else { throw .unauthenticated("unknown bearer token") }
        guard match.scopes.contains(where: { $0.rawValue == scope.rawValue }) else {
            throw .forbidden("token \(match.id) lacks scope \(scope.rawValue)")
        }
        return match.id
    }
}
