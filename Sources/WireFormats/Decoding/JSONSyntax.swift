/// Checks that bytes are exactly one JSON value (surrounded by whitespace only),
/// naming the byte column of the first error.
///
/// Exists for configuration carried as JSON text (the legacy
/// `EXPORTER_SOURCES_JSON` variable), where Foundation's parser reports only
/// "invalid value" without saying where.
public enum JSONSyntax {
    public static func check(_ bytes: [UInt8]) throws(WireFormatError) {
        let failure = bytes.withUnsafeBytes { raw -> WireFormatError? in
            var scanner = JSONScanner(raw)
            do throws(WireFormatError) {
                scanner.skipWhitespace()
                try scanner.skipValue()
                scanner.skipWhitespace()
                if scanner.index < raw.count { return scanner.unexpected(expecting: "the end of the document") }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }
}
