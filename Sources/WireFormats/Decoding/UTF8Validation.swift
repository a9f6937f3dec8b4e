/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF),
/// run only on strings that contain non-ASCII bytes.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        var i = start
        @inline(__always) func continuation(_ k: Int) -> Bool { k < end && bytes[k] & 0xC0 == 0x80 }
        while i < end {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i &+= 1
            } else if b0 < 0xC2 {
                return false
            } else if b0 < 0xE0 {
                guard continuation(i &+ 1) else { return false }
                i &+= 2
            } else if b0 < 0xF0 {
                guard continuation(i &+ 1), continuation(i &+ 2) else { return false }
                let b1 = bytes[i &+ 1]
                if b0 == 0xE0, b1 < 0xA0 { return false }
                if b0 == 0xED, b1 > 0x9F { return false }
                i &+= 3
            } else if b0 < 0xF5 {
                guard continuation(i &+ 1), continuation(i &+ 2), continuation(i &+ 3) else { return false }
                let b1 = bytes[i &+ 1]
                if b0 == 0xF0, b1 < 0x90 { return false }
                if b0 == 0xF4, b1 > 0x8F { return false }
                i &+= 4
            } else {
                return false
            }
        }
        return true
    }
}
