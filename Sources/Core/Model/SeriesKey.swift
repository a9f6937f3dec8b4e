/// A label kept end to end with usage (node_id, env, inbound_tag, region, vm_id, ...).
public struct Dimension: Hashable, Sendable, Codable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Identifies one usage series: (source id, subject, metric, dimensions).
///
/// The subject is the billed party (account uuid, customer id). Dimensions are
/// kept sorted by key so two keys with the same labels are equal and hash to
/// the same canonical bytes whatever order an upstream listed them in.
public struct SeriesKey: Hashable, Sendable {
    public var source: String
    public var subject: String
    public var metric: String
    public private(set) var dimensions: [Dimension]

    public init(source: String, subject: String, metric: String, dimensions: [Dimension] = []) {
        self.source = source
        self.subject = subject
        self.metric = metric
        self.dimensions = dimensions.sorted { $0.key < $1.key }
    }

    /// Builds a key whose dimensions the caller guarantees are already sorted by key
    /// (the wire decoders emit fixed label sets in a fixed order).
    public init(source: String, subject: String, metric: String, sortedDimensions: [Dimension]) {
        self.source = source
        self.subject = subject
        self.metric = metric
        self.dimensions = sortedDimensions
    }

    public func dimension(_ key: String) -> String? {
        dimensions.first { $0.key == key }?.value
    }

    /// The unambiguous byte encoding hashed into series digests and fact ids:
    /// every field as a 4-byte big-endian UTF-8 length followed by its bytes, in
    /// the order source, subject, metric, dimension count, then key/value pairs.
    /// Documented in docs/audit-format.md; never change it (ids would change).
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + source.utf8.count + subject.utf8.count + metric.utf8.count)
        func appendLength(_ n: Int) {
            let v = UInt32(truncatingIfNeeded: n)
            out.append(UInt8(truncatingIfNeeded: v >> 24))
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            out.append(UInt8(truncatingIfNeeded: v >> 8))
            out.append(UInt8(truncatingIfNeeded: v))
        }
        func appendField(_ s: String) {
            appendLength(s.utf8.count)
            out.append(contentsOf: s.utf8)
        }
        appendField(source)
        appendField(subject)
        appendField(metric)
        appendLength(dimensions.count)
        for d in dimensions {
            appendField(d.key)
            appendField(d.value)
        }
        return out
    }
}

extension SeriesKey: Codable {
    enum CodingKeys: String, CodingKey {
        case source, subject, metric, dimensions
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let labels = try c.decodeIfPresent([String: String].self, forKey: .dimensions) ?? [:]
        self.init(
            source: try c.decode(String.self, forKey: .source),
            subject: try c.decode(String.self, forKey: .subject),
            metric: try c.decode(String.self, forKey: .metric),
            dimensions: labels.map { Dimension($0.key, $0.value) })
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(subject, forKey: .subject)
        try c.encode(metric, forKey: .metric)
        try c.encode(Dictionary(uniqueKeysWithValues: dimensions.map { ($0.key, $0.value) }), forKey: .dimensions)
    }
}
