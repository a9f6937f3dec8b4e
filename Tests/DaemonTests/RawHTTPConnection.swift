import Foundation
import Glibc

/// A plain TCP connection to the daemon on loopback, for requests a client
/// library would not send: half a head, a body that stalls, a kept-alive
/// connection left idle. Reads never block a thread (the cooperative pool has
/// as many threads as cores): they poll with `MSG_DONTWAIT` and sleep.
final class RawHTTPConnection: @unchecked Sendable {
    let socket: Int32
    let opened = ContinuousClock.now

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError(message: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            _ = Glibc.close(socket)
            throw HarnessError(message: "connect: errno \(errno)")
        }
    }

    deinit { _ = Glibc.close(socket) }

    /// Sends `text` whole; false when the peer has closed.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBufferPointer {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// What arrived until the peer closed (`closed`) or `timeout` passed.
    struct Read {
        var text: String
        var closed: Bool
        /// When the close was seen, from `opened`.
        var closedAfter: Duration?
    }

    /// Reads until the peer closes, `stopWhen` holds for what arrived, or `timeout` passes.
    func read(timeout: Duration, stopWhen: @Sendable (String) -> Bool = { _ in false }) async -> Read {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
                if stopWhen(String(decoding: received, as: UTF8.self)) { break }
                continue
            }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                return Read(
                    text: String(decoding: received, as: UTF8.self), closed: true,
                    closedAfter: ContinuousClock.now - opened)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return Read(text: String(decoding: received, as: UTF8.self), closed: false, closedAfter: nil)
    }

    /// One whole response with a Content-Length body (the daemon's JSON answers).
    func readResponse(timeout: Duration = .seconds(5)) async -> Read {
        await read(timeout: timeout) { text in
            guard let split = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<split.lowerBound].lowercased()
            guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { return false }
            return text[split.upperBound...].utf8.count >= length
        }
    }
}
