import Core
import Foundation

/// The media type a push request declares, checked against what its route
/// accepts before the body is read: anything else is refused with 415 naming
/// the accepted types (and `Accept-Post`). A route may accept a request
/// without `Content-Type`, and may require `charset` to be UTF-8.
///
/// Exists because a form (`curl -d`'s default) or text/plain body was decoded
/// and ingested as if it were JSON: a client that sends the wrong thing should
/// learn it, not have it billed.
enum PushContentType {
    /// nil when `header` is acceptable for `route`, else the 415 answer.
    static func refusal(_ header: String?, route: PushRoute) -> PushResponse? {
        guard !route.contentTypes.isEmpty else { return nil }
        guard let header else {
            return route.allowsMissingContentType ? nil : answer("no Content-Type", route: route)
        }
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        let type = parts.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var charsetOK = true
        for parameter in parts.dropFirst() where route.requiresUTF8 {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" else {
                continue
            }
            let value = pair[1].trimmingCharacters(in: .whitespaces).lowercased().replacing("\"", with: "")
            charsetOK = value == "utf-8" || value == "utf8"
        }
        if route.contentTypes.contains(type), charsetOK { return nil }
        return answer("Content-Type \(header) is not accepted", route: route)
    }

    private static func answer(_ what: String, route: PushRoute) -> PushResponse {
        let list = route.contentTypes.joined(separator: ", ")
        var tail = route.requiresUTF8 ? " (UTF-8)" : ""
        if route.allowsMissingContentType { tail += ", or has no Content-Type" }
        var response = PushAnswer.error(
            415, code: "unsupported_media_type", "\(what): a body of \(route) is \(list)\(tail)")
        response.headers.set("Accept-Post", list)
        return response
    }
}
