import type { AccountConfig, AccountDirectory, AccountStatus } from "@mjg/shared";
import type { Logger } from "pino";
import type { AccountLeases } from "./lease.js";
import type { AccountRuntime } from "./runtime.js";

export interface OwnerOptions {
  accounts: AccountConfig[];
  leases: AccountLeases;
  directory: AccountDirectory;
  workerId: string;
  leaseMs: number;
  logger: Logger;
  createRuntime: (account: AccountConfig) => AccountRuntime;
  /** Ids of the worker processes alive now (heartbeats): for fair shares, and to find dead owners. */
  liveWorkers: () => Promise<string[]>;
  /**
   * Wait before the first round, so workers starting together see each other and each takes only its
   * share. @defaultValue min(1000, leaseMs / 5)
   */
  settleMs?: number;
}

/**
 * Keeps this process the owner of a fair share of the accounts: takes free leases, renews its own,
 * and stops an account's runtime the moment its lease is lost.
 */
export class AccountOwner {
  readonly runtimes = new Map<string, AccountRuntime>();
  /** Runtimes let go of (lease lost, handed over), until they have stopped: not taken again meanwhile. */
  private readonly stopping = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing = false;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Accounts being handed over whole (their running jobs end here first): not counted in the share. */
  private readonly draining = new Set<string>();

  constructor(private readonly options: OwnerOptions) {}

  async start(): Promise<void> {
    await this.announce();
    const settleMs = this.options.settleMs ?? Math.min(1_000, Math.floor(this.options.leaseMs / 5));
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    // Leases are renewed on their own timer, well inside the lease: a slow round never lets one lapse.
    this.renewTimer = setInterval(() => void this.renewAll(), this.renewEveryMs);
    await this.runRound();
    this.timer = setInterval(() => void this.runRound(), Math.max(200, Math.floor(this.options.leaseMs / 5)));
  }

  private get renewEveryMs(): number {
    return Math.max(100, Math.floor(this.options.leaseMs / 5));
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.round;
    await Promise.all(this.stopping.values());
    await Promise.all(
      [...this.runtimes.values()].map(async (runtime) => {
        await runtime.stop(graceMs);
        await this.options.leases.release(runtime.id);
      }),
    );
    this.runtimes.clear();
  }

  /** Runs a lease round now (an operator flipped an account; see keys.accountEvents). */
  poke(): void {
    void this.runRound();
  }

  /**
   * More accounts than this worker's share: hand the least busy over at once. Their jobs go back to
   * the queue and the next owner adopts them (sent ones resumed, never sent again). An account with a
   * pop-up on its way is kept until it has been answered.
   */
  private shed(excess: number): void {
    const candidates = [...this.runtimes]
      // A pop-up opens only in the session that clicked: such an account waits for a later round.
      .filter(([id, runtime]) => !this.draining.has(id) && runtime.awaitingPopups === 0)
      .sort(([, a], [, b]) => a.busy - b.busy)
      .slice(0, excess);
    for (const [id, runtime] of candidates) {
      this.options.logger.info({ account: id }, "handing the account to a less busy worker");
      this.runtimes.delete(id);
      this.stopAndRelease(id, runtime);
    }
  }

  /** Lets running jobs end (the lease renewed meanwhile), then stops the runtime and frees the lease. */
  private drainAndRelease(id: string, runtime: AccountRuntime): void {
    this.draining.add(id);
    void runtime
      .drain()
      .then(() => {
        if (this.stopped || this.runtimes.get(id) !== runtime) return;
        this.runtimes.delete(id);
        this.stopAndRelease(id, runtime);
      })
      .catch((error) =>
        this.options.logger.warn({ account: id, err: (error as Error).message }, "hand-over failed"),
      )
      .finally(() => this.draining.delete(id));
  }

  /** Stops a runtime no longer in `runtimes`; its account is not taken again here until it has stopped. */
  private stopAndRelease(id: string, runtime: AccountRuntime): void {
    const stopped = runtime
      .stop(0)
      // Frees the lease at once when it is still ours; a no-op when another worker holds it.
      .then(() => this.options.leases.release(id))
      .catch((error) =>
        this.options.logger.warn(
          { account: id, err: (error as Error).message },
          "stopping the account failed",
        ),
      )
      .finally(() => this.stopping.delete(id));
    this.stopping.set(id, stopped);
  }

  /**
   * Honours operators' run-time choices: an account disabled in the registry stops taking work (its
   * waiting tasks move to another account or fail with the reason, running ones finish); one re-enabled after the runtime disabled
   * itself (a bad token, a Midjourney notice) gets a fresh runtime with a new gateway session.
   */
  private async reconcile(registry: Map<string, AccountStatus>): Promise<void> {
    for (const [id, runtime] of this.runtimes) {
      const status = registry.get(id);
      if (!status || this.draining.has(id)) continue;
      if (!status.enabled) {
        const reason = status.disabledReason ?? "disabled by an operator";
        this.options.logger.info({ account: id, reason }, "account disabled by an operator");
        // Tasks already on Discord may still finish; the ones not sent yet move elsewhere or end now.
        await runtime.disable(reason, { failRunning: false });
        this.drainAndRelease(id, runtime);
        await runtime.moveQueued(reason);
      } else if (status.disabledReason === null && runtime.disabledReason !== null) {
        this.options.logger.info({ account: id }, "account enabled again; starting a fresh session");
        this.runtimes.delete(id);
        this.stopAndRelease(id, runtime);
        await this.stopping.get(id);
      }
    }
  }

  private runRound(): Promise<void> {
    this.round = this.round
      .then(() => this.balance())
      .catch((error) => {
        this.options.logger.warn({ err: (error as Error).message }, "lease round failed");
      });
    return this.round;
  }

  /** Registers every configured account (without its token) so the API can route to it. */
  private async announce(): Promise<void> {
    const { directory, accounts } = this.options;
    for (const account of accounts) {
      const existing = await directory.get(account.id);
      const status: AccountStatus = {
        id: account.id,
        // Operators' run-time choice survives restarts; a config that disables the account wins.
        enabled: account.enabled && (existing?.enabled ?? true),
        disabledReason: existing?.disabledReason ?? null,
        concurrency: account.concurrency,
        queueSize: account.queueSize,
        guildId: account.guildId,
        channelId: account.channelId,
        remix: (account.remix ?? false) || (existing?.remix ?? false),
        ...(account.modes ? { modes: account.modes } : {}),
        owner: existing?.owner ?? null,
        gateway: existing?.gateway ?? "idle",
        lastError: existing?.lastError ?? null,
        updatedAt: Date.now(),
      };
      await directory.put(status);
    }
  }

  private async balance(): Promise<void> {
    if (this.stopped) return;
    const { accounts, logger } = this.options;
    const registry = new Map((await this.options.directory.list()).map((status) => [status.id, status]));
    // Registry entries vanish when Redis is flushed or restarted: announce again.
    if (accounts.some((account) => !registry.has(account.id))) await this.announce();
    await this.reconcile(registry);
    const usable = accounts.filter((account) => {
      const status = registry.get(account.id);
      return account.enabled && (!status || (status.enabled && !status.disabledReason));
    });
    const live = new Set(await this.options.liveWorkers());
    live.add(this.options.workerId);
    const share = Math.ceil(usable.length / live.size);
    const counted = () => this.runtimes.size - this.draining.size;
    if (counted() > share) this.shed(counted() - share);
    for (const account of usable) {
      if (this.stopped || counted() >= share) break;
      if (this.runtimes.has(account.id) || this.stopping.has(account.id)) continue;
      if (!(await this.take(account.id, live))) continue;
      const runtime = this.options.createRuntime(account);
      this.runtimes.set(account.id, runtime);
      logger.info({ account: account.id }, "account owned");
      try {
        // Returns without waiting for Discord's READY: the gateway connects in the background.
        await runtime.start();
      } catch (error) {
        // Redis failed it half-way: let go, so a later round (here or elsewhere) starts it afresh.
        logger.warn({ account: account.id, err: (error as Error).message }, "could not start the account");
        this.runtimes.delete(account.id);
        this.stopAndRelease(account.id, runtime);
      }
    }
  }

  /**
   * Takes a free lease, or the lease of a worker whose heartbeat stopped (it died: no need to wait for
   * its lease to lapse; it stops its own runtimes when it cannot renew, long before it counts as dead).
   */
  private async take(accountId: string, live: Set<string>): Promise<boolean> {
    const { leases, logger } = this.options;
    if (await leases.acquire(accountId)) return true;
    const holder = await leases.owner(accountId);
    if (holder === null || live.has(holder)) return false;
    if (!(await leases.takeFrom(accountId, holder))) return false;
    logger.info({ account: accountId, previousOwner: holder }, "took the account of a worker gone silent");
    return true;
  }

  /**
   * Renews every owned lease. A renewal that fails, errs or does not answer within its interval
   * stops that account's runtime at once, long before the lease can lapse and another worker take it.
   */
  private async renewAll(): Promise<void> {
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    try {
      await Promise.all(
        [...this.runtimes].map(async ([id, runtime]) => {
          const kept = await withTimeout(this.options.leases.renew(id), this.renewEveryMs).catch(() => false);
          if (kept || this.runtimes.get(id) !== runtime) return;
          this.options.logger.warn({ account: id }, "lease not renewed; stopping the account here");
          this.runtimes.delete(id);
          this.draining.delete(id);
          this.stopAndRelease(id, runtime);
        }),
      );
    } finally {
      this.renewing = false;
    }
  }
}

/** The call's answer, or false when it takes longer than `ms`. */
function withTimeout(call: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}
