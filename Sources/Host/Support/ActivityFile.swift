import Core
import Rating

/// Reads explicit start/stop notifications for `billing-service rate --activity`
/// and pairs them into the spans recurring fees are prorated by.
///
/// A line is `{"subject", "event": "start"|"stop", "time"}` with optional
/// `"dimensions"` naming one VM or other entity (`{"vm_id": "vm-1"}`, at most one
/// key). Per entity, events are taken in time order (a start before a stop at the
/// same instant): a start opens a span, a stop closes it; a repeated start while
/// open or a repeated stop while closed is a re-sent notification and changes
/// nothing; a stop with no start before it means the entity was already running,
/// so its span starts before any period; a span still open at the end runs to the
/// end of the period.
enum ActivityFile {
    struct Event {
        var subject: String
        var dimension: Core.Dimension?
        var isStart: Bool
        var time: Timestamp
        var line: Int
    }

    /// A start earlier than any billing period: "already running".
    static let beforeAnyPeriod = Timestamp(nanosecondsSinceEpoch: 0)

    static func read(path: String) throws -> [ActivitySpan] {
        try spans(of: JSONLinesFile.objects(path: path).map { try event($0.object, file: path, line: $0.line) })
    }

    static func event(_ object: [String: Any], file: String, line lineNumber: Int) throws -> Event {
        func problem(_ message: String) -> JSONLinesFile.Problem {
            JSONLinesFile.Problem(file: file, line: lineNumber, message: message)
        }
        let known: Set<String> = ["subject", "event", "time", "dimensions"]
        if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
            throw problem("unknown key \"\(unknown)\" (valid: dimensions, event, subject, time)")
        }
        guard let subject = object["subject"] as? String, !subject.isEmpty else {
            throw problem("\"subject\" must be a non-empty string")
        }
        guard let kind = object["event"] as? String, kind == "start" || kind == "stop" else {
            throw problem("\"event\" must be \"start\" or \"stop\"")
        }
        guard let text = object["time"] as? String, let time = Timestamp(rfc3339: text) else {
            throw problem("\"time\" must be an RFC 3339 timestamp")
        }
        var dimension: Core.Dimension?
        if let labels = object["dimensions"] {
            guard let labels = labels as? [String: String], labels.count <= 1 else {
                throw problem("\"dimensions\" must be an object of at most one string, e.g. {\"vm_id\": \"vm-1\"}")
            }
            dimension = labels.first.map { Core.Dimension($0.key, $0.value) }
        }
        return Event(subject: subject, dimension: dimension, isStart: kind == "start", time: time, line: lineNumber)
    }

    struct EntityKey: Hashable {
        var subject: String
        var dimension: Core.Dimension?
    }

    static func spans(of events: [Event]) -> [ActivitySpan] {
        var byEntity: [EntityKey: [Event]] = [:]
        for event in events {
            byEntity[EntityKey(subject: event.subject, dimension: event.dimension), default: []].append(event)
        }
        var out: [ActivitySpan] = []
        for (entity, entityEvents) in byEntity {
            let ordered = entityEvents.sorted {
                ($0.time, $0.isStart ? 0 : 1, $0.line) < ($1.time, $1.isStart ? 0 : 1, $1.line)
            }
            var open: Timestamp?
            var sawAny = false
            for event in ordered {
                if event.isStart {
                    if open == nil { open = event.time }
                } else if let start = open {
                    out.append(
                        ActivitySpan(
                            subject: entity.subject, dimension: entity.dimension, start: start, stop: event.time))
                    open = nil
                } else if !sawAny {
                    out.append(
                        ActivitySpan(
                            subject: entity.subject, dimension: entity.dimension, start: beforeAnyPeriod,
                            stop: event.time))
                }
                sawAny = true
            }
            if let start = open {
                out.append(ActivitySpan(subject: entity.subject, dimension: entity.dimension, start: start, stop: nil))
            }
        }
        return out.sorted {
            ($0.subject, $0.dimension?.key ?? "", $0.dimension?.value ?? "", $0.start) < (
                $1.subject, $1.dimension?.key ?? "", $1.dimension?.value ?? "", $1.start
            )
        }
    }
}
