import Foundation
import HTTPTypes
import Hummingbird

/// The media types a push body may declare: `application/json` (one snapshot
/// or an array of them) and the NDJSON names (`application/x-ndjson`,
/// `application/ndjson`, `application/jsonl`), optionally with
/// `charset=utf-8`. A body without `Content-Type` is accepted as JSON or NDJSON
/// (exporters that set none keep working); anything else is refused with 415
/// before the body is read.
///
/// Exists because a form (`curl -d`'s default) or text/plain body was decoded
/// and ingested as if it were JSON: a client that sends the wrong thing should
/// learn it, not have it billed.
enum PushContentType {
    static let accepted = ["application/json", "application/x-ndjson", "application/ndjson", "application/jsonl"]

    /// nil when `header` is absent or acceptable, else the 415 answer naming the accepted types.
    static func refusal(_ header: String?) -> Response? {
        guard let header else { return nil }
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        let type = parts.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var charsetOK = true
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" else {
                continue
            }
            let value = pair[1].trimmingCharacters(in: .whitespaces).lowercased().replacing("\"", with: "")
            charsetOK = value == "utf-8" || value == "utf8"
        }
        if accepted.contains(type), charsetOK { return nil }
        let list = accepted.joined(separator: ", ")
        var response = JSONResponse.error(
            .unsupportedMediaType, code: "unsupported_media_type",
            "Content-Type \(header) is not accepted: a push body is \(list) (UTF-8), or has no Content-Type")
        if let acceptPost = HTTPField.Name("Accept-Post") { response.headers[acceptPost] = list }
        return response
    }
}
