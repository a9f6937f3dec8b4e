import Foundation

/// Where a credential lives: never in the config text itself.
public enum SecretReference: Hashable, Sendable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads the credential. Errors name the variable or file, never the value.
    public func resolve(context: PluginContext) throws -> String {
        switch self {
        case .environment(let name):
            guard let value = context.environment(name), !value.isEmpty else {
                throw SecretError(message: "environment variable \(name) is not set or empty")
            }
            return value
        case .file(let path):
            let resolved = context.resolve(path: path)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw SecretError(message: "cannot read secret file \(resolved)")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.last == "\n" || text.last == "\r" { text.removeLast() }
            guard !text.isEmpty else { throw SecretError(message: "secret file \(resolved) is empty") }
            return text
        }
    }

    /// Names where the secret comes from, never the secret.
    public var description: String {
        switch self {
        case .environment(let name): return "env:\(name)"
        case .file(let path): return "file:\(path)"
        }
    }
}

/// A credential could not be read; says where it was looked for.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
