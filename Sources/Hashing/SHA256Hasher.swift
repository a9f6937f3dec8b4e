import CLibCrypto

/// SHA-256 as a value type with no allocation per hash.
///
/// Exists because metering hashes twice per observation (series digest and fact
/// id) and the audit sink once per line: swift-crypto's `SHA256` costs ~1 µs
/// per call on this machine through its class-backed context, OpenSSL's
/// low-level functions ~80 ns per block with SHA-NI. The result is the standard
/// SHA-256, checked against swift-crypto in the tests.
public struct SHA256Hasher {
    private var context = SHA256_CTX()

    public init() {
        billing_sha256_init(&context)
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        billing_sha256_update(&context, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Writes the 32-byte digest into `output` (which must hold 32 bytes).
    public mutating func finalize(into output: UnsafeMutableRawBufferPointer) {
        guard output.count >= 32, let base = output.baseAddress else {
            preconditionFailure("a SHA-256 digest needs 32 bytes")
        }
        billing_sha256_final(&context, base.assumingMemoryBound(to: UInt8.self))
    }

    /// The 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { finalize(into: $0) }
        return out
    }

    /// The first 16 bytes of SHA-256(`bytes`) as two big-endian words (fact ids, series digests).
    public static func prefix128(_ bytes: UnsafeRawBufferPointer) -> (high: UInt64, low: UInt64) {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { digest in
            hasher.finalize(into: digest)
            return (
                UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }
}
