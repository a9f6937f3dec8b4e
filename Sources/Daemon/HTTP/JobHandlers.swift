import Core
import Host
import Hummingbird
import Logging
import Rating

/// `POST /v1/jobs/collect`.
extension APIServer {
    /// Collects every pull source now, or those named by `?source=` (repeatable).
    /// 200 with the job result (502 when every source failed).
    func collect(_ request: Request) async -> Response {
        let ids = request.uri.queryParameters.getAll("source").map { String($0) }
        do {
            let job = try await scheduler.collectNow(ids)
            return JSONResponse.make(job, status: job.status == .error ? .badGateway : .ok)
        } catch {
            return Self.failure(error)
        }
    }
}
