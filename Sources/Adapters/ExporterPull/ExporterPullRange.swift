import AsyncHTTPClient
public import Core
public import WireFormats

extension ExporterPullSource {
    /// Every snapshot the exporter holds in `[since, until]`, fetched in
    /// catch-up steps with the source's settings (TLS, token, retries).
    ///
    /// Exists for the daemon's reconcile job, which re-pulls a past range to
    /// compare with the ledger; nothing is committed.
    public func snapshots(since: Timestamp, until: Timestamp) async throws -> [XraySnapshot] {
        let component = "sources." + id
        let token: String?
        do {
            token = try settings.token?.resolve(context: context)
        } catch {
            throw PluginError(.permanent, component: component, "bearer token: \(error)")
        }
        let client = try WindowFetcher.makeClient(settings: settings, component: component)
        let fetcher = WindowFetcher(
            component: component, settings: settings, client: client, token: token, logger: context.logger)
        var snapshots: [XraySnapshot] = []
        var start = since
        do {
            while start < until {
                let end = min(start.adding(settings.catchUpStep), until)
                snapshots += try await fetcher.fetchWindow(WindowStep(since: start, until: end))
                start = end
            }
        } catch {
            try? await client.shutdown()
            if let error = error as? PluginError { throw error }
            throw WindowFetcher.classify(error, what: "re-pulling \(since)…\(until)", component: component)
        }
        try? await client.shutdown()
        return snapshots
    }
}
