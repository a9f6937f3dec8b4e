internal import Core
internal import PostgresSink

/// Entries for the small text parsers: RFC 3339 timestamps and `DATABASE_URL`.
enum TextTargets {
    /// Invariants: the byte and String parsers agree, and a parsed instant formats
    /// (with nine digits, automatic digits, and as UTC) to text that parses to it.
    static func rfc3339(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let parsed = Timestamp(rfc3339UTF8: bytes)
        if let text = String(validating: bytes, as: UTF8.self), Timestamp(rfc3339: text) != parsed {
            throw FuzzInvariantViolation(.rfc3339, "the String parser disagrees on \(text.debugDescription)")
        }
        guard let parsed else { return .refused }
        for digits in [Timestamp.FractionalDigits.nanoseconds, .automatic] {
            let text = parsed.rfc3339(fractionalDigits: digits)
            guard Timestamp(rfc3339: text) == parsed else {
                throw FuzzInvariantViolation(
                    .rfc3339,
                    "\(String(decoding: bytes, as: UTF8.self).debugDescription) is \(parsed.nanosecondsSinceEpoch) ns, formatted \(text), which parses to \(String(describing: Timestamp(rfc3339: text)?.nanosecondsSinceEpoch))"
                )
            }
        }
        return .accepted
    }

    /// Invariants: every parsed field survives a rebuild of the URL with each part
    /// percent-encoded, and `description` (the log form) does not depend on the password.
    static func databaseURL(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .refused }
        guard let url = try? DatabaseURL(parsing: text) else { return .refused }
        // The log form does not depend on the password's value.
        if url.password != nil {
            var other = url
            other.password = "a different password"
            guard other.description == url.description else {
                throw FuzzInvariantViolation(.databaseURL, "description shows the password: \(url.description)")
            }
        }
        guard let rebuilt = rebuild(url) else { return .accepted }
        let again: DatabaseURL
        do { again = try DatabaseURL(parsing: rebuilt) } catch {
            throw FuzzInvariantViolation(.databaseURL, "rebuilt \(rebuilt.debugDescription) is refused: \(error)")
        }
        guard again == url else {
            throw FuzzInvariantViolation(
                .databaseURL, "\(text.debugDescription) and its rebuild \(rebuilt.debugDescription) differ")
        }
        return .accepted
    }

    /// The URL written back with every part percent-encoded; `nil` for a host the
    /// URI form cannot hold between brackets (one with `]`, `/`, `?` or `@`).
    static func rebuild(_ url: DatabaseURL) -> String? {
        var out = "postgres://" + encode(url.username)
        if let password = url.password { out += ":" + encode(password) }
        out += "@"
        if url.host.contains(":") || url.host.hasPrefix("/") {
            guard !url.host.contains(where: { "]/?@".contains($0) }) else { return nil }
            out += "[" + url.host + "]"
        } else {
            out += encode(url.host)
        }
        out += ":\(url.port)"
        if let database = url.database { out += "/" + encode(database) }
        out += "?sslmode=" + url.sslMode.rawValue
        if let socket = url.socketDirectory { out += "&host=" + encode(socket) }
        if let root = url.sslRootCertificate { out += "&sslrootcert=" + encode(root) }
        return out
    }

    /// Percent-encodes every byte but RFC 3986's unreserved ones.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return out
    }
}
