/// Deterministic names of simulated accounts, customers and VMs.
///
/// Exists so a subject keeps the same uuid across runs with the same seed (a
/// fixture and a live run bill the same accounts) and differs across seeds.
enum SubjectIdentity {
    /// A version-4-shaped UUID from the seed, a namespace and an index.
    static func uuid(seed: UInt64, namespace: UInt64, index: UInt64) -> String {
        var rng = SplitMix64(seed: seed, stream: namespace, tick: index)
        let high = (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var out: [UInt8] = []
        out.reserveCapacity(36)
        func hex(_ value: UInt64, digits: Int) {
            var shift = (digits - 1) * 4
            while shift >= 0 {
                let nibble = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & 0xF)
                out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
                shift -= 4
            }
        }
        hex(high >> 32, digits: 8)
        out.append(UInt8(ascii: "-"))
        hex((high >> 16) & 0xFFFF, digits: 4)
        out.append(UInt8(ascii: "-"))
        hex(high & 0xFFFF, digits: 4)
        out.append(UInt8(ascii: "-"))
        hex(low >> 48, digits: 4)
        out.append(UInt8(ascii: "-"))
        hex(low & 0xFFFF_FFFF_FFFF, digits: 12)
        return String(decoding: out, as: UTF8.self)
    }

    /// A per-subject hash for traits (activity level, node placement, VM size).
    static func trait(seed: UInt64, namespace: UInt64, index: UInt64) -> UInt64 {
        SplitMix64.mix(seed ^ SplitMix64.mix(namespace &* 0xD1B5_4A32_D192_ED03 &+ index))
    }

    static let accountNamespace: UInt64 = 0x7872_6179  // "xray"
    static let vmNamespace: UInt64 = 0x766D  // "vm"
    static let xrayStreamBase: UInt64 = 1 << 40
    static let vmStreamBase: UInt64 = 2 << 40
}
