/// A first-come first-served lock for async code: at most one collection of a
/// source runs at a time, whether the schedule or a `collect` job started it;
/// one invoice append to an audit trail at a time within a process.
public actor AsyncLock {
    public init() {}

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
