/// Where a `file_replay` reader resumes: a file (by name within the input
/// directory, or the input file's own name), the byte offset just after the
/// last consumed line, and how many lines of that file were consumed.
struct FileReplayCursor: Codable, Hashable, Sendable {
    var file: String
    var offset: Int64
    var line: Int
}
