import CompressNIO
import Core
import Foundation
import NIOCore

/// A Connect body encoding: identity or gzip (UPSTREAMS §7; the Python client
/// gzips requests by default). An unknown request encoding is `unimplemented`.
public enum ConnectEncoding: String, Sendable, Hashable {
    case identity
    case gzip

    /// The encodings this server reads and writes, as `Accept-Encoding` lists them.
    public static let supported = "gzip, identity"

    /// The request's encoding (`Content-Encoding` or `Connect-Content-Encoding`);
    /// none or empty: identity.
    public init(requestHeader value: String?) throws(ConnectError) {
        let name = value?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch name {
        case "", "identity": self = .identity
        case "gzip": self = .gzip
        default:
            throw ConnectError(
                .unimplemented, "unknown content encoding \"\(name)\"; this server accepts \(Self.supported)",
                headers: [.init(name: "Accept-Encoding", value: Self.supported)])
        }
    }

    /// The first encoding of an `Accept-Encoding` list (ordered, no q-values)
    /// that this server writes; identity when none is.
    public init(acceptHeader values: [String]) {
        for value in values {
            for item in value.split(separator: ",") {
                let name = item.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                if name == "gzip" {
                    self = .gzip
                    return
                }
                if name == "identity" {
                    self = .identity
                    return
                }
            }
        }
        self = .identity
    }

    /// Inflates `bytes` (never an empty body); more than `limit` bytes once
    /// inflated is 413, bytes that do not inflate are `invalid_argument`.
    public func decode(_ bytes: [UInt8], limit: Int) throws(ConnectError) -> [UInt8] {
        guard self == .gzip, !bytes.isEmpty else { return bytes }
        var buffer = ByteBuffer(bytes: bytes)
        do {
            let inflated = try buffer.decompress(with: .gzip(), maxSize: limit)
            return Array(inflated.readableBytesView)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ConnectError(
                .resourceExhausted, "the body inflates to more than \(limit) bytes, the most this route accepts",
                httpStatus: 413)
        } catch {
            throw ConnectError(.invalidArgument, "the gzip body does not inflate: \(error)")
        }
    }

    /// Deflates `bytes` for an answer (identity: unchanged); nil when zlib
    /// fails, and the answer then goes out uncompressed.
    public func encode(_ bytes: [UInt8]) -> [UInt8]? {
        guard self == .gzip else { return bytes }
        var buffer = ByteBuffer(bytes: bytes)
        guard let compressed = try? buffer.compress(with: .gzip()) else { return nil }
        return Array(compressed.readableBytesView)
    }
}
