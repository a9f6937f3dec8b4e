import Core
import Crypto

/// The primary key of a `push_request_keys` row: the first 16 bytes of
/// SHA-256 over the pipeline, source and `request_id`, NUL-separated.
///
/// Exists so the table has one fixed-size key (cheap to insert, one index
/// probe per key looked up) instead of three text columns.
enum RequestKeyID {
    static func make(pipeline: String, source: String, key: String) -> Digest128 {
        var bytes = Array(pipeline.utf8)
        bytes.append(0)
        bytes += source.utf8
        bytes.append(0)
        bytes += key.utf8
        return Digest128(prefixOf: Array(SHA256.hash(data: bytes)))
    }
}
