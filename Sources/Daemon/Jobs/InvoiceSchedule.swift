import Core
import Host
import Invoicing
import Logging
import Rating
public import ServiceLifecycle

/// `service.invoicing`: runs the drafts of the month that just ended at the
/// schedule's times (`5 0 1 * *`: 00:05 UTC on the 1st), and with
/// `finalize: auto` finalizes each draft once its completeness gate passes,
/// trying the refused ones again every `retry` until the next run.
///
/// Several replicas may run it together: the run takes the period's advisory
/// lock (the second waits, then finds every draft unchanged) and a
/// finalization locks its invoice row (the second finds it finalized), so
/// each invoice and number is written once.
public final class InvoiceSchedule: Service, Sendable {
    let plan: ServiceSettings.InvoicingSchedule
    let store: any InvoiceStore
    let settings: InvoicingSettings
    let clock: any WallClock
    let logger: Logger

    init(
        plan: ServiceSettings.InvoicingSchedule, store: any InvoiceStore, settings: InvoicingSettings,
        clock: any WallClock, logger: Logger
    ) {
        self.plan = plan
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var now = clock.now()
        /// A period whose drafts the gate still refuses (auto only).
        var unfinished: BillingPeriod?
        while !Task.isCancelled {
            guard let fire = plan.schedule.next(after: now) else {
                logger.error("invoice schedule never runs", metadata: ["schedule": "\(plan.schedule)"])
                return
            }
            var wake = fire
            if unfinished != nil { wake = min(fire, now.adding(plan.retry)) }
            let wait = wake.nanosecondsSinceEpoch - now.nanosecondsSinceEpoch
            do {
                if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
            } catch {
                return
            }
            now = clock.now()
            if now >= fire {
                let period = Self.periodBefore(fire)
                unfinished = await runPeriod(period) ? nil : period
            } else if let period = unfinished {
                unfinished = await finalizeDrafts(of: period) ? nil : period
            }
        }
    }

    /// The month before the one `time` falls in.
    static func periodBefore(_ time: Timestamp) -> BillingPeriod {
        let current = BillingPeriod(containing: time)
        let key = BillingPeriodKey(year: current.year, month: current.month).previous
        return BillingPeriod(year: key.year, month: key.month) ?? current
    }

    /// Runs the drafts of `period` (and finalizes them with `auto`); true when nothing is left to do.
    func runPeriod(_ period: BillingPeriod) async -> Bool {
        let lifecycle = InvoiceLifecycle(store: store, settings: settings)
        do {
            try await lifecycle.recordAudit()
            let result = try await InvoiceRun(store: store, settings: settings).run(period: period)
            logger.info(
                "invoice run",
                metadata: [
                    "period": "\(period)", "created": "\(result.created.count)", "updated": "\(result.updated.count)",
                    "unchanged": "\(result.unchanged.count)", "closed": "\(result.closed.count)",
                ])
        } catch {
            logger.error("invoice run failed", metadata: ["period": "\(period)", "error": "\(error)"])
            return plan.finalize == .manual
        }
        return plan.finalize == .manual ? true : await finalizeDrafts(of: period)
    }

    /// Finalizes every draft of `period` the gate lets through; true when none is left.
    func finalizeDrafts(of period: BillingPeriod) async -> Bool {
        let lifecycle = InvoiceLifecycle(store: store, settings: settings)
        let drafts: [Invoice]
        do {
            drafts = try await store.invoices(InvoiceFilter(period: period, status: .draft))
        } catch {
            logger.error("listing drafts failed", metadata: ["period": "\(period)", "error": "\(error)"])
            return false
        }
        var left = 0
        for draft in drafts {
            do {
                let invoice = try await lifecycle.finalize(id: draft.id, force: false, reason: nil, now: clock.now())
                logger.info(
                    "invoice finalized", metadata: ["invoice": "\(invoice.id)", "number": "\(invoice.number ?? "")"])
            } catch InvoiceError.notFinalizable {
                continue  // another replica finalized it first
            } catch InvoiceError.incomplete(let id, let problems) {
                left += 1
                logger.warning(
                    "invoice not finalized: the period is not closed",
                    metadata: ["invoice": "\(id)", "problems": "\(problems.joined(separator: "; "))"])
            } catch {
                left += 1
                logger.error("finalizing failed", metadata: ["invoice": "\(draft.id)", "error": "\(error)"])
            }
        }
        return left == 0
    }
}
