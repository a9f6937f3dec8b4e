import Crypto
import Hashing
import PropertyBased
import Testing

@Suite struct SHA256HasherTests {
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }

    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test(arguments: vectors)
    func matchesTheNISTVectors(vector: (message: String, digest: String)) {
        var hasher = SHA256Hasher()
        hasher.update(Array(vector.message.utf8))
        #expect(Self.hex(hasher.finalize()) == vector.digest)
    }

    @Test func agreesWithSwiftCryptoOnRandomInputsAndSplits() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...300), Gen.int(in: 0...300)) { bytes, split in
            let cut = min(split, bytes.count)
            var ours = SHA256Hasher()
            ours.update(Array(bytes[..<cut]))
            ours.update(Array(bytes[cut...]))
            let theirs = Array(SHA256.hash(data: bytes))
            #expect(ours.finalize() == theirs)
            let prefix = bytes.withUnsafeBytes { SHA256Hasher.prefix128($0) }
            let expectedHigh = theirs[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let expectedLow = theirs[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(prefix.high == expectedHigh && prefix.low == expectedLow)
        }
    }
}
