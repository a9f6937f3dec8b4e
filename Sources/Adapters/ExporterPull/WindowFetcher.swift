import AsyncHTTPClient
import Core
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import WireFormats

/// Fetches every page of one window over one `HTTPClient`: builds the request
/// exactly as UPSTREAMS §1 says, caps and streams the body, checks the page's
/// node/env, and turns transport failures into `PluginError`s that say whether a
/// retry can help. Never puts the token in an error or a log line.
struct WindowFetcher {
    let component: String
    let settings: ExporterPullSettings
    let client: HTTPClient
    let token: String?
    let logger: Logger

    /// Makes the HTTP client for one collection: TLS validation always on, the
    /// source's CA bundle and client certificate, no redirects, the timeouts.
    static func makeClient(settings: ExporterPullSettings, component: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw PluginError(.permanent, component: component, "ca_file \(caFile) cannot be read")
            }
            tls.trustRoots = .file(caFile)
        }
        if let certFile = settings.clientCertFile, let keyFile = settings.clientKeyFile {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw PluginError(
                    .permanent, component: component,
                    "cannot load the client certificate \(certFile) or key \(keyFile): \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(settings.connectTimeout.totalNanoseconds),
                read: .nanoseconds(settings.timeout.totalNanoseconds)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// All snapshots of `[since, until)`, following `next_cursor` while `has_more`.
    /// Each page request is retried on retryable errors (with backoff and jitter).
    func fetchWindow(_ step: WindowStep) async throws -> [XraySnapshot] {
        var snapshots: [XraySnapshot] = []
        var cursor: String?
        var pages = 0
        while true {
            let page = try await withRetries { try await fetchPage(step, cursor: cursor) }
            pages += 1
            try check(page)
            snapshots.append(contentsOf: page.snapshots)
            guard page.hasMore else { break }
            guard let next = page.nextCursor else {
                throw PluginError(
                    .permanent, component: component,
                    "page \(pages) of \(describe(step)) says has_more but gives no next_cursor")
            }
            guard next != cursor else {
                throw PluginError(
                    .permanent, component: component,
                    "page \(pages) of \(describe(step)) repeats next_cursor \(next): the exporter is not advancing")
            }
            cursor = next
        }
        return snapshots
    }

    /// Every page and every snapshot must come from the expected node and env.
    private func check(_ page: XrayWindowPage) throws {
        func mismatch(_ what: String, _ found: String, _ expected: String) -> PluginError {
            PluginError(
                .permanent, component: component,
                "\(what) mismatch: the exporter at \(settings.baseURL) reports \(what) \"\(found)\" but expected_\(what) is \"\(expected)\"; nothing was advanced"
            )
        }
        if let expected = settings.expectedNodeID {
            if page.nodeID != expected { throw mismatch("node_id", page.nodeID, expected) }
            for snapshot in page.snapshots where snapshot.nodeID != expected {
                throw mismatch("node_id", snapshot.nodeID, expected)
            }
        }
        if let expected = settings.expectedEnv {
            if page.env != expected { throw mismatch("env", page.env, expected) }
            for snapshot in page.snapshots where snapshot.env != expected {
                throw mismatch("env", snapshot.env, expected)
            }
        }
    }

    func describe(_ step: WindowStep) -> String {
        "window \(step.since.rfc3339(fractionalDigits: .automatic))..\(step.until.rfc3339(fractionalDigits: .automatic))"
    }

    /// The request URL (query values percent-encoded; a cursor may carry `+hh:mm`).
    func url(_ step: WindowStep, cursor: String?) -> String {
        var url = settings.baseURL + "/v1/snapshots/window?since="
        url += Self.percentEncoded(step.since.rfc3339(fractionalDigits: .automatic))
        url += "&until=" + Self.percentEncoded(step.until.rfc3339(fractionalDigits: .automatic))
        url += "&limit=\(settings.pageLimit)"
        if let cursor { url += "&cursor=" + Self.percentEncoded(cursor) }
        return url
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    private func fetchPage(_ step: WindowStep, cursor: String?) async throws -> XrayWindowPage {
        var request = HTTPClientRequest(url: url(step, cursor: cursor))
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let what =
            "GET \(settings.baseURL)/v1/snapshots/window (\(describe(step))\(cursor.map { ", cursor \($0)" } ?? ""))"
        let deadline = NIODeadline.now() + .nanoseconds(settings.timeout.totalNanoseconds)
        let bytes: [UInt8]
        do {
            let response = try await client.execute(request, deadline: deadline, logger: nil)
            guard response.status == .ok else {
                let code = response.status.code
                let retryable = code >= 500 || code == 408 || code == 429
                throw PluginError(
                    retryable ? .retryable : .permanent, component: component,
                    "HTTP \(code) \(response.status.reasonPhrase) from \(what)"
                        + (code == 401 || code == 403 ? ": check the bearer token (token_env/token_file)" : ""))
            }
            if let declared = response.headers.first(name: "content-length").flatMap(Int64.init),
                declared > settings.maxBodyBytes
            {
                throw bodyTooLarge(what, declared: declared)
            }
            var buffer: [UInt8] = []
            for try await chunk in response.body {
                if Int64(buffer.count + chunk.readableBytes) > settings.maxBodyBytes {
                    throw bodyTooLarge(what, declared: nil)
                }
                buffer.append(contentsOf: chunk.readableBytesView)
            }
            bytes = buffer
        } catch let error as PluginError {
            throw error
        } catch {
            throw Self.classify(error, what: what, component: component)
        }
        do {
            return try bytes.withUnsafeBytes { raw throws(WireFormatError) in
                try XraySnapshotDecoder.decodeWindowPage(raw)
            }
        } catch {
            throw PluginError(
                .permanent, component: component, "invalid window page (\(bytes.count) bytes) from \(what): \(error)")
        }
    }

    private func bodyTooLarge(_ what: String, declared: Int64?) -> PluginError {
        PluginError(
            .permanent, component: component,
            "response body of \(what) is larger than max_body_bytes (\(settings.maxBodyBytes) bytes"
                + (declared.map { "; Content-Length \($0)" } ?? "") + "): lower page_limit or raise max_body_bytes")
    }

    /// Transport errors: timeouts and dropped connections can pass; TLS failures cannot.
    static func classify(_ error: any Error, what: String, component: String) -> PluginError {
        if error is CancellationError { return PluginError(.retryable, component: component, "cancelled: \(what)") }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout:
                return PluginError(.retryable, component: component, "timeout (\(http)) on \(what)")
            case .remoteConnectionClosed, .cancelled:
                return PluginError(.retryable, component: component, "connection closed (\(http)) on \(what)")
            default:
                break
            }
        }
        if error is NIOSSLError || error is BoringSSLError || "\(error)".contains("SSL") {
            return PluginError(.permanent, component: component, "TLS failure on \(what): \(error)")
        }
        return PluginError(.retryable, component: component, "transport error on \(what): \(error)")
    }

    /// Runs `body`, retrying retryable `PluginError`s with exponential backoff and jitter.
    private func withRetries<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as PluginError where error.isRetryable && attempt < settings.attempts {
                let base = settings.retryBackoff.totalNanoseconds << min(attempt - 1, 20)
                let jittered = base / 2 + Int64.random(in: 0...max(base / 2, 0))
                logger.warning(
                    "exporter request failed, retrying",
                    metadata: [
                        "source": "\(component)", "attempt": "\(attempt)",
                        "retry_in_ms": "\(jittered / 1_000_000)", "error": "\(error.message)",
                    ])
                attempt += 1
                try await Task.sleep(for: .nanoseconds(jittered))
            }
        }
    }
}
