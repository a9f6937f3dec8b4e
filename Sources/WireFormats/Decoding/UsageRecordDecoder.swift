import Core

/// Decodes usage record bodies (UPSTREAMS §5): one record object, a JSON
/// array of them, or NDJSON (one object a line). Labels are held to
/// `LabelRules`; `usage_details` is validated JSON and otherwise ignored;
/// unknown fields are ignored (the platform adds fields over time).
///
/// Errors name the record (0-based) and the field, so an all-or-nothing
/// refusal says which record to fix.
public enum UsageRecordDecoder {
    /// A failure and the record it is in (nil: outside any record).
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var record: Int?
        public var error: WireFormatError

        public var description: String {
            guard let record else { return error.description }
            return "record \(record), \(error.description)"
        }
    }

    /// The records of a `/usage/records` body: `[...]`, or NDJSON lines.
    public static func decodeMany(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> [UsageRecord] {
        var scanner = JSONScanner(bytes)
        if scanner.peek() == UInt8(ascii: "[") {
            var records: [UsageRecord] = []
            var current: Int?
            do throws(WireFormatError) {
                try scanner.beginArray()
                var first = true
                while try scanner.nextElement(first: &first) {
                    current = records.count
                    records.append(try readRecord(&scanner))
                    current = nil
                }
                try scanner.finish()
            } catch {
                throw Failure(record: current, error: error)
            }
            return records
        }
        // NDJSON: each non-blank line one object.
        var records: [UsageRecord] = []
        var start = 0
        var line = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            var lineScanner = JSONScanner(slice)
            line += 1
            if lineScanner.peek() != nil {
                do throws(WireFormatError) {
                    records.append(try readRecord(&lineScanner))
                    try lineScanner.finish()
                } catch {
                    var located = error
                    located.message = "line \(line): " + located.message
                    throw Failure(record: records.count, error: located)
                }
            }
            start = end + 1
        }
        return records
    }

    /// The one record of a `/usage/record` body.
    public static func decodeOne(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> UsageRecord {
        var scanner = JSONScanner(bytes)
        do throws(WireFormatError) {
            let record = try readRecord(&scanner)
            try scanner.finish()
            return record
        } catch {
            throw Failure(record: nil, error: error)
        }
    }

    static let keys = JSONKeyTable([
        ("user_id", 0), ("product_id", 1), ("service_type", 2), ("usage_amount", 3), ("billing_method", 4),
        ("organization_id", 5), ("session_id", 6), ("request_id", 7), ("usage_timestamp", 8), ("usage_details", 9),
    ])

    static func readRecord(_ scanner: inout JSONScanner) throws(WireFormatError) -> UsageRecord {
        try scanner.beginObject()
        var user: String?
        var product: String?
        var service: String?
        var amount: String?
        var record = UsageRecord(userID: "", productID: "", serviceType: "", usageAmount: "")
        var first = true
        while let key = try scanner.nextKey(first: &first) {
            switch try keys.field(of: key, in: scanner) {
            case 0: user = try inField("user_id") { () throws(WireFormatError) in try scanner.readLabel(.subject) }
            case 1:
                product = try inField("product_id") { () throws(WireFormatError) in
                    try scanner.readLabel(.dimensionValue)
                }
            case 2:
                service = try inField("service_type") { () throws(WireFormatError) in
                    try scanner.readLabel(.dimensionValue)
                }
            case 3: amount = try inField("usage_amount") { () throws(WireFormatError) in try scanner.readDecimalText() }
            case 4:
                record.billingMethod = try inField("billing_method") { () throws(WireFormatError) in
                    try scanner.readOptionalLabel(.dimensionValue)
                }
            case 5:
                record.organizationID = try inField("organization_id") { () throws(WireFormatError) in
                    try scanner.readOptionalLabel(.dimensionValue)
                }
            case 6:
                record.sessionID = try inField("session_id") { () throws(WireFormatError) in
                    try scanner.readOptionalLabel(.dimensionValue)
                }
            case 7:
                record.requestID = try inField("request_id") { () throws(WireFormatError) in
                    try scanner.readOptionalLabel(.idempotencyKey)
                }
            case 8:
                record.usageTimestamp = try inField("usage_timestamp") { () throws(WireFormatError) in
                    try (scanner.consumeNull() ? nil : scanner.readTimestamp())
                }
            default:
                try scanner.skipValue()
            }
        }
        guard let user else { throw scanner.error("missing user_id").within("user_id") }
        guard let product else { throw scanner.error("missing product_id").within("product_id") }
        guard let service else { throw scanner.error("missing service_type").within("service_type") }
        guard let amount else { throw scanner.error("missing usage_amount").within("usage_amount") }
        record.userID = user
        record.productID = product
        record.serviceType = service
        record.usageAmount = amount
        return record
    }
}

extension JSONScanner {
    /// The text of a JSON number, or of a string holding one (`"0.002"`), its
    /// grammar checked (JSON's number grammar; a string may not hold more).
    mutating func readDecimalText() throws(WireFormatError) -> String {
        skipWhitespace()
        guard index < bytes.count else { throw error("truncated: expected a decimal number") }
        if bytes[index] == UInt8(ascii: "\"") {
            let open = index
            let raw = try scanString()
            let text = try string(raw)
            guard Self.isJSONNumber(Array(text.utf8)) else {
                throw error("\"\(text)\" is not a decimal number", at: open)
            }
            return text
        }
        let start = index
        while index < bytes.count {
            let c = bytes[index]
            let isNumberByte =
                (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            guard isNumberByte else { break }
            index &+= 1
        }
        let token = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        guard !token.isEmpty else { throw unexpected(expecting: "a decimal number") }
        guard Self.isJSONNumber(token) else { throw error("invalid number", at: start) }
        return String(decoding: token, as: UTF8.self)
    }

    /// Whether `text` follows JSON's number grammar.
    static func isJSONNumber(_ text: [UInt8]) -> Bool {
        var i = 0
        func digit(_ k: Int) -> Bool { k < text.count && text[k] >= UInt8(ascii: "0") && text[k] <= UInt8(ascii: "9") }
        if i < text.count, text[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { return false }
        if text[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while digit(i) { i += 1 }
        }
        if i < text.count, text[i] == UInt8(ascii: ".") {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < text.count, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        return i == text.count
    }
}
