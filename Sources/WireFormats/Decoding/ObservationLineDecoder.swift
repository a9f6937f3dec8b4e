public import Core

/// Decodes the project's own observation lines (docs/observations-format.md):
/// one object with `subject`, `metric`, optional `dimensions`, `time`, `kind`,
/// `value` and, for deltas only, an optional `idempotency_key`.
///
/// Exists so any upstream without a dedicated decoder (usage records, tests,
/// hand-written fixtures) can be replayed through the same exact pipeline.
public enum ObservationLineDecoder {
    /// Decodes one line (a whole document) into an observation of series source `source`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws(WireFormatError) -> Observation {
        var scanner = JSONScanner(bytes)
        let observation = try decodeObservation(&scanner, source: source)
        try scanner.finish()
        return observation
    }

    /// Decodes one line from text.
    public static func decode(_ text: String, source: String) throws(WireFormatError) -> Observation {
        try withUTF8Bytes(of: text) { bytes throws(WireFormatError) in try decode(bytes, source: source) }
    }

    private static let keys = JSONKeyTable([
        ("subject", 0), ("metric", 1), ("dimensions", 2), ("time", 3), ("kind", 4), ("value", 5),
        ("idempotency_key", 6),
    ])
    private static let names = ["subject", "metric", "dimensions", "time", "kind", "value", "idempotency_key"]

    static func decodeObservation(_ s: inout JSONScanner, source: String) throws(WireFormatError) -> Observation {
        try s.beginObject()
        let objectStart = s.index - 1
        var subject: String?
        var metric: String?
        var dimensions: [Dimension] = []
        var time: Timestamp?
        var kind: String?
        var kindStart = 0
        var value: UInt64?
        var idempotencyKey: String?
        var idempotencyStart = 0
        var seen: UInt32 = 0
        var first = true
        while let key = try s.nextKey(first: &first) {
            guard let field = try keys.field(of: key, in: s) else {
                try s.skipValue()
                continue
            }
            let name = names[field]
            guard seen & (1 << field) == 0 else { throw s.error("duplicate key", at: key.start - 1).within(name) }
            seen |= 1 << field
            switch field {
            case 0, 1:
                let start = s.index
                let text = try inField(name) { () throws(WireFormatError) in
                    try s.readLabel(field == 0 ? .subject : .metric)
                }
                guard !text.isEmpty else { throw s.error("must not be empty", at: start).within(name) }
                if field == 0 { subject = text } else { metric = text }
            case 2:
                if s.consumeNull() { continue }
                dimensions = try inField(name) { () throws(WireFormatError) in try decodeDimensions(&s) }
            case 3: time = try inField(name) { () throws(WireFormatError) in try s.readTimestamp() }
            case 4:
                s.skipWhitespace()
                kindStart = s.index
                kind = try inField(name) { () throws(WireFormatError) in try s.readString() }
            case 5: value = try inField(name) { () throws(WireFormatError) in try s.readCounter(allowString: true) }
            default:
                s.skipWhitespace()
                idempotencyStart = s.index
                idempotencyKey = try inField(name) { () throws(WireFormatError) in
                    try s.readOptionalLabel(.idempotencyKey)
                }
                if idempotencyKey?.isEmpty == true {
                    throw s.error("must not be empty", at: idempotencyStart).within(name)
                }
            }
        }
        guard let subject else { throw s.error("required key is missing", at: objectStart).within("subject") }
        guard let metric else { throw s.error("required key is missing", at: objectStart).within("metric") }
        guard let time else { throw s.error("required key is missing", at: objectStart).within("time") }
        guard let kind else { throw s.error("required key is missing", at: objectStart).within("kind") }
        guard let value else { throw s.error("required key is missing", at: objectStart).within("value") }
        let observed: ObservationValue
        switch kind {
        case "cumulative": observed = .cumulative(value)
        case "delta": observed = .delta(value, idempotencyKey: idempotencyKey)
        case "gauge": observed = .gauge(value)
        default:
            throw s.error("unknown kind \"\(kind)\" (valid: cumulative, delta, gauge)", at: kindStart).within("kind")
        }
        if idempotencyKey != nil, kind != "delta" {
            throw s.error("only a delta may carry an idempotency key", at: idempotencyStart).within("idempotency_key")
        }
        return Observation(
            series: SeriesKey(source: source, subject: subject, metric: metric, dimensions: dimensions),
            time: time, value: observed)
    }

    /// An object of string values; a key given twice is an error. Keys and values
    /// are labels (`LabelRules`); at most `LabelRules.maximumDimensions` of them.
    private static func decodeDimensions(_ s: inout JSONScanner) throws(WireFormatError) -> [Dimension] {
        let objectStart = s.index
        try s.beginObject()
        var out: [Dimension] = []
        var first = true
        while let rawKey = try s.nextKey(first: &first) {
            let key = try s.label(rawKey, .dimensionKey)
            guard !key.isEmpty else { throw s.error("a dimension key must not be empty", at: rawKey.start - 1) }
            if out.contains(where: { $0.key == key }) {
                throw s.error("duplicate key", at: rawKey.start - 1).within(key)
            }
            guard out.count < LabelRules.maximumDimensions else {
                throw s.error(LabelViolation.tooManyDimensions(count: out.count + 1).description, at: objectStart)
            }
            let value = try inField(key) { () throws(WireFormatError) in try s.readLabel(.dimensionValue) }
            out.append(Dimension(key, value))
        }
        return out
    }
}
