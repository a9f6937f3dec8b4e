import Core
import Foundation
import PropertyBased
import Testing

/// JSON string escaping, checked against Foundation's parser: what we write reads back as the input.
@Suite struct JSONStringTests {
    static func parsed(_ literal: String) throws -> String? {
        try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed) as? String
    }

    @Test(arguments: [
        "", "acct-1", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1f}", "ümlaut and 日本語",
        "emoji 🧾", "\u{7f} delete is not escaped",
    ])
    func readsBackAsTheInput(text: String) throws {
        #expect(try Self.parsed(JSONString.quoted(text)) == text)
        #expect(JSONString.quoted(text) == "\"" + JSONString.escaped(text) + "\"")
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        #expect(JSONString.quoted("a\"b\\c\n\r\t\u{1}\u{1b}") == #""a\"b\\c\n\r\t\u0001\u001b""#)
        #expect(JSONString.escaped("plain ASCII") == "plain ASCII")
    }

    @Test func anyStringRoundTrips() async {
        let characters = Gen.oneOf(
            Gen.int(in: 0...0x7f).map { Character(Unicode.Scalar(UInt8($0))) },
            Gen.int(in: 0xa0...0xd7ff).map { Character(Unicode.Scalar($0) ?? " ") },
            Gen.int(in: 0x1f300...0x1f6ff).map { Character(Unicode.Scalar($0) ?? " ") })
        await propertyCheck(input: characters.array(of: 0...40)) { characters in
            let text = String(characters)
            #expect((try? Self.parsed(JSONString.quoted(text))) == text)
        }
    }
}
