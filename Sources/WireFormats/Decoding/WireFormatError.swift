/// Why a line of a wire format was rejected, and where: the 1-based byte column
/// in the decoded bytes and, when known, the field path (`samples[2].uplink_bytes_total`).
///
/// Exists so a replay or ingest error can point an operator at the exact byte
/// of a multi-megabyte fixture instead of saying "invalid JSON".
public struct WireFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, in words (`expected a non-negative integer`).
    public var message: String
    /// 1-based byte column within the decoded bytes (a line of a JSON-lines file).
    public var column: Int
    /// The field the error is about, as a path from the document root; `nil` for syntax outside fields.
    public var field: String?

    public init(_ message: String, column: Int, field: String? = nil) {
        self.message = message
        self.column = column
        self.field = field
    }

    /// `column 57 (samples[2].uplink_bytes_total): expected a non-negative integer`.
    public var description: String {
        if let field { return "column \(column) (\(field)): \(message)" }
        return "column \(column): \(message)"
    }

    /// The same error seen from one level up: `name` is prefixed to the field path.
    func within(_ name: String) -> WireFormatError {
        var copy = self
        if let inner = field {
            copy.field = inner.hasPrefix("[") ? name + inner : name + "." + inner
        } else {
            copy.field = name
        }
        return copy
    }
}

/// Runs `body`, attributing any error it throws to field `name` (built only on error).
@inline(__always)
func inField<T>(
    _ name: @autoclosure () -> String, _ body: () throws(WireFormatError) -> T
) throws(WireFormatError) -> T {
    do {
        return try body()
    } catch {
        throw error.within(name())
    }
}

/// Runs `body` over a string's UTF-8 bytes, keeping the typed error
/// (`String.withUTF8` only rethrows untyped).
func withUTF8Bytes<T>(
    of text: String, _ body: (UnsafeRawBufferPointer) throws(WireFormatError) -> T
) throws(WireFormatError) -> T {
    var copy = text
    let result: Result<T, WireFormatError> = copy.withUTF8 { buffer in
        do throws(WireFormatError) {
            return .success(try body(UnsafeRawBufferPointer(buffer)))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
