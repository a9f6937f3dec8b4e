#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An I/O failure with the operation, the path and the OS error text.
struct AuditIOError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var code: Int32

    var description: String {
        let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "\(operation) \(path): \(text)"
    }
}

/// A POSIX file descriptor with the few calls the audit files need (append,
/// fsync, truncate, positioned reads). Plain POSIX so fsync and truncation are
/// explicit; `FileHandle` hides when data reaches the disk.
final class AuditFileIO {
    let fd: Int32
    let path: String

    enum Mode {
        case read
        /// Open an existing file for reading and writing.
        case update
        /// Create a new file; fails if it exists.
        case create
    }

    init(path: String, mode: Mode) throws(AuditIOError) {
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .update: flags = O_RDWR
        case .create: flags = O_RDWR | O_CREAT | O_EXCL
        }
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditIOError(operation: "open", path: path, code: errno) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    func size() throws(AuditIOError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw AuditIOError(operation: "stat", path: path, code: errno) }
        return Int64(info.st_size)
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(AuditIOError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditIOError(operation: "write", path: path, code: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(AuditIOError) {
        let result: Result<Void, AuditIOError> = bytes.withUnsafeBytes { buffer in
            do throws(AuditIOError) {
                try write(buffer, at: offset)
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    func read(count: Int, at offset: Int64) throws(AuditIOError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset + Int64(done)))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditIOError(operation: "read", path: path, code: errno)
            }
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }

    func sync() throws(AuditIOError) {
        guard fsync(fd) == 0 else { throw AuditIOError(operation: "fsync", path: path, code: errno) }
    }

    func truncate(to length: Int64) throws(AuditIOError) {
        guard ftruncate(fd, off_t(length)) == 0 else {
            throw AuditIOError(operation: "truncate", path: path, code: errno)
        }
    }
}

/// Directory operations: create, list, remove, and fsync of the directory entry.
enum AuditDirectory {
    /// Creates `path` and its missing parents.
    static func create(_ path: String) throws(AuditIOError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw AuditIOError(operation: "mkdir", path: prefix, code: errno)
            }
            prefix += "/"
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Names of the entries in `path` (without `.` and `..`).
    static func list(_ path: String) throws(AuditIOError) -> [String] {
        guard let dir = opendir(path) else { throw AuditIOError(operation: "list", path: path, code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func remove(_ path: String) throws(AuditIOError) {
        guard unlink(path) == 0 else { throw AuditIOError(operation: "remove", path: path, code: errno) }
    }

    /// Makes file creations and removals in `path` durable.
    static func sync(_ path: String) throws(AuditIOError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditIOError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AuditIOError(operation: "fsync", path: path, code: errno) }
    }
}

/// An exclusive `flock` on `<directory>/.lock`, held until `release()` (or
/// deinit). Serialises appends to an invoicing audit trail across processes:
/// the CLI and every daemon replica may finalize, and the chain must stay one
/// sequence. Plain POSIX like the rest of the file I/O here.
final class AuditDirectoryLock {
    private var fd: Int32

    init(directory: String) throws(AuditIOError) {
        let path = directory + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditIOError(operation: "open", path: path, code: errno) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(fd)
                throw AuditIOError(operation: "lock", path: path, code: code)
            }
        }
        self.fd = fd
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
