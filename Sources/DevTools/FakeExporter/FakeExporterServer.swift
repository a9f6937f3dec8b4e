import Core
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
public import NIOSSL
import WireFormats

/// A loopback xray-exporter: serves a scenario through the real window contract
/// (UPSTREAMS §1: paging, since/until/limit/cursor, bearer auth) with injectable
/// faults. Used by the adapter's tests and by `billing-service dev fake-exporter`.
public struct FakeExporterServer: Sendable {
    public var scenario: FakeExporterScenario
    /// Required bearer token; `nil`: any (or no) Authorization header is accepted.
    public var token: String?
    /// `nil`: plain http.
    public var tls: TLSConfiguration?
    public var control: FakeExporterControl
    public var logger: Logger

    public init(
        scenario: FakeExporterScenario, token: String?, tls: TLSConfiguration? = nil,
        control: FakeExporterControl = FakeExporterControl(), logger: Logger = Logger(label: "fake-exporter")
    ) {
        self.scenario = scenario
        self.token = token
        self.tls = tls
        self.control = control
        self.logger = logger
    }

    /// Serves on `host:port` (port 0: any free port) until the task is cancelled;
    /// `onRunning` gets the bound port.
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let router = Router()
        let scenario = self.scenario
        let token = self.token
        let control = self.control
        router.get("/v1/snapshots/window") { request, _ -> Response in
            await Self.answer(request, scenario: scenario, token: token, control: control)
        }
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        let app = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.run()
    }

    /// Runs the server on a free loopback port for the duration of `body`.
    public func withRunning<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        try await withRunning(copies: 1) { ports in try await body(ports[0]) }
    }

    /// Runs `copies` servers of this scenario, each on its own free loopback port,
    /// for the duration of `body` (the benchmark's many exporters).
    public func withRunning<T: Sendable>(copies: Int, _ body: @Sendable ([Int]) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for _ in 0..<copies {
                group.addTask {
                    try await self.run(host: "127.0.0.1", port: 0) { port in continuation.yield(port) }
                    return nil
                }
            }
            var started: [Int] = []
            for await port in ports {
                started.append(port)
                if started.count == copies { break }
            }
            guard started.count == copies else { throw FakeExporterError(message: "server did not start") }
            let result = try await body(started)
            group.cancelAll()
            while let next = try? await group.next() {
                if next == nil { break }
            }
            return result
        }
    }

    static func answer(
        _ request: Request, scenario: FakeExporterScenario, token: String?, control: FakeExporterControl
    ) async -> Response {
        let authorization = request.headers[.authorization]
        control.record(
            .init(query: request.uri.query ?? "", authorization: authorization, accept: request.headers[.accept]))
        let fault = control.fault
        if fault == .unauthorized || (token != nil && authorization != "Bearer \(token ?? "")") {
            return text(.unauthorized, "unauthorized")
        }
        let query = request.uri.queryParameters
        func time(_ name: String) -> (Timestamp?, Bool) {
            guard let raw = query[name[...]] else { return (nil, true) }
            let value = Timestamp(rfc3339: String(raw))
            return (value, value != nil)
        }
        let (untilValue, untilOK) = time("until")
        let (sinceValue, sinceOK) = time("since")
        let (cursor, cursorOK) = time("cursor")
        guard untilOK, sinceOK, cursorOK else { return text(.badRequest, "bad timestamp") }
        let until =
            untilValue
            ?? (scenario.snapshots.last?.collectedAt.adding(nanoseconds: 1) ?? Timestamp(nanosecondsSinceEpoch: 0))
        let since = sinceValue ?? until.adding(nanoseconds: -3_600 * Timestamp.nanosecondsPerSecond)
        let limit = query["limit"].flatMap { Int(String($0)) } ?? 1000

        var page = scenario.page(since: since, until: until, limit: limit, cursor: cursor)
        switch fault {
        case .http500: return text(.internalServerError, "internal error")
        case .delay(let duration): try? await Task.sleep(for: duration)
        case .wrongNodeID(let node):
            page.nodeID = node
            for index in page.snapshots.indices { page.snapshots[index].nodeID = node }
        default: break
        }
        var encoder = FixtureLineEncoder()
        var bytes: [UInt8] = []
        encoder.appendObject(page, to: &bytes)
        switch fault {
        case .truncatedJSON: bytes = Array(bytes.prefix(bytes.count / 2))
        case .oversizedBody(let size) where size > bytes.count:
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: size - bytes.count))
        default: break
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: message)))
    }
}

extension FakeExporterServer {
    /// A server TLS configuration from PEM files (certificate chain and key).
    public static func tlsConfiguration(
        certificateFile: String, keyFile: String, trustedClientCAFile: String? = nil
    ) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
        if let trustedClientCAFile {
            configuration.trustRoots = .file(trustedClientCAFile)
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }
}
