import Core
import Testing

/// One set of label rules for every decoder and sink: length in bytes, no control characters.
@Suite struct LabelRulesTests {
    @Test(arguments: LabelField.allCases)
    func theLimitIsInclusive(field: LabelField) {
        #expect(LabelRules.violation(in: String(repeating: "a", count: field.maximumBytes), field: field) == nil)
        #expect(
            LabelRules.violation(in: String(repeating: "a", count: field.maximumBytes + 1), field: field)
                == .tooLong(field: field, bytes: field.maximumBytes + 1))
    }

    @Test func lengthIsCountedInUTF8Bytes() {
        // 100 × "é" is 100 characters but 200 bytes: over a 128-byte metric name.
        #expect(
            LabelRules.violation(in: String(repeating: "é", count: 100), field: .metric)
                == .tooLong(field: .metric, bytes: 200))
        #expect(LabelRules.violation(in: "дом-€-😀", field: .dimensionValue) == nil)
    }

    @Test(arguments: [
        ("u\u{0}x", UInt32(0), 1), ("\u{1F}", 0x1F, 0), ("tab\there", 0x09, 3), ("a\u{7F}", 0x7F, 1),
        ("é\u{85}", 0x85, 2), ("\u{9F}", 0x9F, 0),
    ])
    func controlCharactersAreRefusedWithTheirOffset(text: String, scalar: UInt32, offset: Int) {
        #expect(
            LabelRules.violation(in: text, field: .subject)
                == .controlCharacter(field: .subject, scalar: scalar, offset: offset))
    }

    @Test func printableNonASCIIJustAfterTheC1RangeIsFine() {
        #expect(LabelRules.violation(in: "\u{A0}\u{A9}", field: .subject) == nil)
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x61, 0xC0, 0x80]
        let violation = bytes.withUnsafeBytes { LabelRules.violation(in: $0, field: .dimensionKey) }
        #expect(violation == .invalidUTF8(field: .dimensionKey, offset: 1))
    }

    @Test func messagesSayWhatAndTheLimit() {
        #expect(
            LabelViolation.tooLong(field: .subject, bytes: 5_000).description
                == "5000 bytes long; a subject may have at most 256 bytes")
        #expect(
            LabelViolation.controlCharacter(field: .subject, scalar: 0, offset: 1).description
                == "control character U+0000 at byte 1; a subject must not contain control characters")
    }
}
