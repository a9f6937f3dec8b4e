import PostgresNIO
import Testing

@testable import PostgresSink

/// `postgres://` parsing, TLS modes from `sslmode`, and password-free descriptions.
@Suite struct DatabaseURLTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var user: String
        var password: String?
        var host: String
        var port: Int
        var database: String?
        var mode: DatabaseURL.SSLMode
        var socket: String? = nil
        var testDescription: String { text }
    }

    @Test(arguments: [
        Case(
            text: "postgres://billing@127.0.0.1:5433/ledger?sslmode=disable", user: "billing", host: "127.0.0.1",
            port: 5433, database: "ledger", mode: .disable),
        Case(
            text: "postgresql://u:p%40ss%3Aword@db.example.com/x?sslmode=verify-full", user: "u",
            password: "p@ss:word", host: "db.example.com", port: 5432, database: "x", mode: .verifyFull),
        Case(
            text: "postgres://u@db:6000/x?sslmode=require", user: "u", host: "db", port: 6000, database: "x",
            mode: .require),
        Case(text: "postgres://", user: "postgres", host: "localhost", port: 5432, database: nil, mode: .prefer),
        Case(
            text: "postgres://u@[::1]:7000/d", user: "u", host: "::1", port: 7000, database: "d", mode: .prefer),
        Case(
            text: "postgres://u@/d?host=/tmp/sock&port=5999", user: "u", host: "localhost", port: 5999,
            database: "d", mode: .prefer, socket: "/tmp/sock"),
        Case(
            text: "postgres://u@h/d?dbname=other&sslmode=verify-ca", user: "u", host: "h", port: 5432,
            database: "other", mode: .verifyCA),
    ])
    func parses(_ c: Case) throws {
        let url = try DatabaseURL(parsing: c.text)
        #expect(url.username == c.user)
        #expect(url.password == c.password)
        #expect(url.host == c.host)
        #expect(url.port == c.port)
        #expect(url.database == c.database)
        #expect(url.sslMode == c.mode)
        #expect(url.socketDirectory == c.socket)
    }

    @Test(arguments: [
        "mysql://u@h/d", "postgres://u@h:0/d", "postgres://u@h:99999/d", "postgres://u@h/d?sslmode=always",
        "postgres://u@h/d?ssl=true", "postgres://u%zz@h/d",
    ])
    func rejects(_ text: String) {
        #expect(throws: DatabaseURLError.self) { try DatabaseURL(parsing: text) }
    }

    @Test func requireAndVerifyModesDemandTLS() throws {
        for (text, requires) in [
            ("postgres://u@h/d?sslmode=require", true), ("postgres://u@h/d?sslmode=verify-full", true),
            ("postgres://u@h/d?sslmode=verify-ca", true), ("postgres://u@h/d?sslmode=prefer", false),
            ("postgres://u@h/d?sslmode=disable", false), ("postgres://u@h/d", false),
        ] {
            #expect(try DatabaseURL(parsing: text).requiresTLS == requires, "\(text)")
        }
    }

    @Test func socketURLConnectsThroughTheSocketFile() throws {
        let url = try DatabaseURL(parsing: "postgres://u@/d?host=/run/pg/&port=5444")
        #expect(url.clientConfiguration().unixSocketPath == "/run/pg/.s.PGSQL.5444")
        let tcp = try DatabaseURL(parsing: "postgres://u@db:5444/d?sslmode=require")
        #expect(tcp.clientConfiguration().host == "db")
        #expect(tcp.clientConfiguration().port == 5444)
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let url = try DatabaseURL(parsing: "postgres://admin:s3cret@db:5432/ledger?sslmode=require")
        #expect(!url.description.contains("s3cret"))
        #expect(url.description == "postgres://admin:***@db:5432/ledger?sslmode=require")
        let error = #expect(throws: DatabaseURLError.self) {
            try DatabaseURL(parsing: "postgres://admin:s3cret@db:notaport/ledger")
        }
        #expect(error.map { !$0.description.contains("s3cret") } == true)
    }
}
