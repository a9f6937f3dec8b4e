import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call, naming the operation, the path and the reason.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// Small POSIX file operations with the durability steps spelled out
/// (write fully, fsync the file, fsync the directory after a rename).
enum DurableFile {
    static func check(_ result: Int32, _ operation: String, _ path: String) throws(FileSystemError) {
        if result < 0 { throw FileSystemError(operation: operation, path: path, code: errno) }
    }

    static func createDirectories(_ path: String) throws(FileSystemError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError(operation: "mkdir", path: path, code: EIO)
        }
    }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileSystemError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        try check(fd, "open", path)
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: path, code: errno)
            }
            offset += written
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(FileSystemError) {
        try check(Glibc.fsync(fd), "fsync", path)
    }

    static func fsyncDirectory(_ path: String) throws(FileSystemError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    /// Replaces `path` atomically: write a temp file, fsync it, rename it over, fsync the directory.
    static func replace(_ path: String, with bytes: [UInt8]) throws(FileSystemError) {
        let tmp = path + ".tmp"
        let fd = try open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: tmp)
            try fsync(fd, path: tmp)
        } catch {
            Glibc.close(fd)
            throw error
        }
        Glibc.close(fd)
        try check(Glibc.rename(tmp, path), "rename", path)
        try fsyncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws(FileSystemError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileSystemError(operation: "read", path: path, code: EIO)
        }
        return [UInt8](data)
    }
}
