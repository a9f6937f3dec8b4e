import Foundation
import TestKit

/// Certificates made at test time with the openssl CLI: a CA, leaves signed by
/// it (server with SANs, client for mTLS), and an expired leaf.
struct TestPKI {
    let temporary: TemporaryDirectory
    var directory: String { temporary.path }

    init() throws {
        temporary = try TemporaryDirectory("exporter-pull-pki")
    }

    func path(_ name: String) -> String { directory + "/" + name }

    @discardableResult
    private func openssl(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments) failed"])
        }
        return process.terminationStatus
    }

    /// `name.pem` / `name.key`: a self-signed CA.
    func makeCA(_ name: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=\(name)", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// `name.pem` / `name.key`: a leaf signed by `ca`, valid for `days` (negative: expired).
    func makeLeaf(_ name: String, ca: String, sans: String, usage: String, days: Int = 2) throws {
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=\(name)",
        ])
        try "subjectAltName=\(sans)\nextendedKeyUsage=\(usage)\nbasicConstraints=CA:FALSE\n".write(
            toFile: path(name + ".ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", name + ".pem", "-days", "\(days)", "-extfile", name + ".ext",
        ])
    }

    /// The PKI every TLS test uses.
    static func standard() throws -> TestPKI {
        let pki = try TestPKI()
        try pki.makeCA("ca")
        try pki.makeCA("other-ca")
        try pki.makeLeaf("server", ca: "ca", sans: "DNS:localhost,IP:127.0.0.1", usage: "serverAuth")
        try pki.makeLeaf("wrong-host", ca: "ca", sans: "DNS:elsewhere.example", usage: "serverAuth")
        try pki.makeLeaf("expired", ca: "ca", sans: "DNS:localhost,IP:127.0.0.1", usage: "serverAuth", days: -1)
        try pki.makeLeaf("client", ca: "ca", sans: "DNS:billing", usage: "clientAuth")
        try pki.makeLeaf("stranger", ca: "other-ca", sans: "DNS:billing", usage: "clientAuth")
        return pki
    }

    func remove() { temporary.remove() }
}
