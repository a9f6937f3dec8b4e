import Core
public import PostgresNIO

/// A parsed `postgres://` connection URL (libpq's URI form).
///
/// Exists so the daemon, the `migrate`/`usage` commands and the tests read one
/// `DATABASE_URL` the same way, including TLS (`sslmode`) and Unix sockets
/// (`?host=/socket/dir`), without handing a password to any log line.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` values.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP only.
        case disable
        /// Plain first (we treat it as `prefer`: postgres-nio has no plain-then-TLS fallback).
        case allow
        /// TLS when the server offers it, without certificate checks (libpq's default).
        case prefer
        /// TLS or fail; the certificate is not verified (unless `sslrootcert` is given).
        case require
        /// TLS, the chain verified against `sslrootcert` (or the system roots); no host name check.
        case verifyCA = "verify-ca"
        /// TLS, chain and host name verified.
        case verifyFull = "verify-full"
    }

    public var username: String
    public var password: String?
    /// TCP host; ignored when `socketDirectory` is set.
    public var host: String
    public var port: Int
    public var database: String?
    /// `?host=/dir`: connect through the Unix socket `<dir>/.s.PGSQL.<port>`.
    public var socketDirectory: String?
    public var sslMode: SSLMode
    /// `?sslrootcert=/path.pem`: the CA bundle for `verify-ca`/`verify-full`.
    public var sslRootCertificate: String?

    /// Parses `postgres[ql]://[user[:password]@][host][:port][/database][?key=value&...]`.
    /// Percent-escapes are decoded in every part. Unknown query keys are errors,
    /// so a typo in `sslmode` cannot silently downgrade to plain text.
    public init(parsing text: String) throws(DatabaseURLError) {
        var rest = Substring(text)
        if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else {
            throw DatabaseURLError("must start with postgres:// or postgresql://")
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var username = "postgres"
        var password: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                username = try Self.decode(userInfo[..<colon], part: "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                username = try Self.decode(userInfo, part: "user name")
            }
        }
        var host = "localhost"
        var port = 5432
        var hostPart = rest
        if hostPart.hasPrefix("[") {
            // [IPv6]:port
            guard let close = hostPart.firstIndex(of: "]") else { throw DatabaseURLError("unclosed [ in host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") { port = try Self.port(hostPart.dropFirst()) }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = try Self.decode(hostPart[..<colon], part: "host")
            port = try Self.port(hostPart[hostPart.index(after: colon)...])
        } else if !hostPart.isEmpty {
            host = try Self.decode(hostPart, part: "host")
        }
        if host.isEmpty { host = "localhost" }
        let database = path.isEmpty ? nil : try Self.decode(path, part: "database name")

        var sslMode = SSLMode.prefer
        var rootCert: String?
        var socketDirectory: String?
        var databaseParameter: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0], part: "parameter name")
            let value = parts.count > 1 ? try Self.decode(parts[1], part: "parameter \(key)") : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    let valid = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw DatabaseURLError("unknown sslmode \"\(value)\" (valid: \(valid))")
                }
                sslMode = mode
            case "sslrootcert": rootCert = value
            case "host":
                if value.hasPrefix("/") { socketDirectory = value } else if !value.isEmpty { host = value }
            case "port": port = try Self.port(Substring(value))
            case "user": username = value
            case "password": password = value
            case "dbname": if !value.isEmpty { databaseParameter = value }
            case "application_name", "connect_timeout": break  // accepted for libpq compatibility
            default:
                throw DatabaseURLError(
                    "unknown parameter \"\(key)\" (known: sslmode, sslrootcert, host, port, user, password, dbname, application_name, connect_timeout)"
                )
            }
        }
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.database = databaseParameter ?? database
        self.socketDirectory = socketDirectory
        self.sslMode = sslMode
        self.sslRootCertificate = rootCert
    }

    /// The URL without its password, safe for logs and error messages.
    public var description: String {
        var out = "postgres://" + username + (password == nil ? "" : ":***") + "@"
        out += host.contains(":") ? "[\(host)]" : host
        out += ":\(port)/" + (database ?? "")
        var params: [String] = ["sslmode=\(sslMode.rawValue)"]
        if let socketDirectory { params.append("host=\(socketDirectory)") }
        if let sslRootCertificate { params.append("sslrootcert=\(sslRootCertificate)") }
        return out + "?" + params.joined(separator: "&")
    }

    /// Whether the connection must be encrypted (`require` and stronger).
    public var requiresTLS: Bool {
        switch sslMode {
        case .require, .verifyCA, .verifyFull: return true
        case .disable, .allow, .prefer: return false
        }
    }

    /// The TLS settings `sslmode` asks for.
    public func tlsConfiguration() -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        switch sslMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            // libpq: `require` with a root certificate behaves like verify-ca.
            tls.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
            return .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return .require(tls)
        }
    }

    /// The postgres-nio client configuration for this URL.
    public func clientConfiguration() -> PostgresClient.Configuration {
        if let socketDirectory {
            let dir = socketDirectory.hasSuffix("/") ? String(socketDirectory.dropLast()) : socketDirectory
            return PostgresClient.Configuration(
                unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        }
        return PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: tlsConfiguration())
    }

    /// A single connection's configuration for this URL (no pool): used to
    /// learn why the pool cannot connect. Throws when the TLS settings cannot
    /// be turned into a context (an unreadable `sslrootcert`).
    public func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            let dir = socketDirectory.hasSuffix("/") ? String(socketDirectory.dropLast()) : socketDirectory
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
            let mode: PostgresConnection.Configuration.TLS
            switch sslMode {
            case .disable:
                mode = .disable
            case .allow, .prefer:
                tls.certificateVerification = .none
                mode = .prefer(try NIOSSLContext(configuration: tls))
            case .require:
                tls.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
                mode = .require(try NIOSSLContext(configuration: tls))
            case .verifyCA:
                tls.certificateVerification = .noHostnameVerification
                mode = .require(try NIOSSLContext(configuration: tls))
            case .verifyFull:
                tls.certificateVerification = .fullVerification
                mode = .require(try NIOSSLContext(configuration: tls))
            }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: mode)
        }
        configuration.options.connectTimeout = .nanoseconds(max(connectTimeout.totalNanoseconds, 1_000_000))
        return configuration
    }

    private static func port(_ text: Substring) throws(DatabaseURLError) -> Int {
        guard let value = Int(text), (1...65_535).contains(value) else {
            throw DatabaseURLError("port must be 1...65535, found \"\(text)\"")
        }
        return value
    }

    private static func decode(_ text: Substring, part: String) throws(DatabaseURLError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw DatabaseURLError("bad percent-escape in \(part)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw DatabaseURLError("\(part) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A `DATABASE_URL` that cannot be parsed; the message never repeats the password.
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { "invalid database URL: \(message)" }
}
