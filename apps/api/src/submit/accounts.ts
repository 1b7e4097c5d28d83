import { type AccountDirectory, type AccountStatus, ApiError, isAvailable, rankAccounts } from "@mjg/shared";

// An account disabled in another process stops receiving new tasks within this long.
const REGISTRY_MAX_AGE_MS = 500;
// Loads for ranking are read again after this long: a submit no longer reads every account's.
const LOADS_MAX_AGE_MS = 250;

/** Takes a slot on the account for the new task (and may write the task with it); false: full. */
export type TakeSlot = (account: AccountStatus) => Promise<boolean>;

/** The plain slot reservation, for when the record is written apart from it (a Redis Cluster). */
export function reserveSlot(directory: AccountDirectory, taskId: string, deadline: number): TakeSlot {
  return (account) => directory.reserve(account, taskId, deadline);
}

/**
 * The accounts' loads as submits rank them: read from Redis (one MULTI per account) at most every
 * LOADS_MAX_AGE_MS by one read that concurrent submits share, and counted forward with this
 * process's own reservations in between. Only the order of the candidates comes from here: the
 * reservation itself is exact, and a refusal for full queues is decided on a fresh read.
 */
export class AccountLoads {
  private cached: { at: number; loads: Map<string, number> } | null = null;
  private reading: { ids: string[]; loads: Promise<Map<string, number>> } | null = null;

  constructor(
    readonly directory: AccountDirectory,
    private readonly maxAgeMs = LOADS_MAX_AGE_MS,
  ) {}

  /** The loads of `ids`, and whether they were read from Redis for this call. */
  async of(ids: string[], fresh = false): Promise<{ loads: number[]; fresh: boolean }> {
    const cached = this.cached;
    if (!fresh && cached && Date.now() - cached.at < this.maxAgeMs && ids.every((id) => cached.loads.has(id)))
      return { loads: ids.map((id) => cached.loads.get(id)!), fresh: false };
    const loads = await this.read(ids);
    return { loads: ids.map((id) => loads.get(id) ?? 0), fresh: true };
  }

  /** The loads of `ids` as this process counts them now (its reservations in flight included), or null. */
  counted(ids: string[]): number[] | null {
    const cached = this.cached;
    if (!cached || !ids.every((id) => cached.loads.has(id))) return null;
    return ids.map((id) => cached.loads.get(id)!);
  }

  /** This process is taking a slot on the account: count it until the next read (-1: it was refused). */
  taken(accountId: string, count = 1): void {
    const load = this.cached?.loads.get(accountId);
    if (load !== undefined) this.cached!.loads.set(accountId, Math.max(0, load + count));
  }

  private read(ids: string[]): Promise<Map<string, number>> {
    const reading = this.reading;
    if (reading && ids.every((id) => reading.ids.includes(id))) return reading.loads;
    const at = Date.now();
    const loads = this.directory.loads(ids, at).then((values) => {
      const map = new Map(ids.map((id, i) => [id, values[i]!]));
      if (!this.cached || this.cached.at <= at) this.cached = { at, loads: map };
      return map;
    });
    const entry = { ids, loads };
    this.reading = entry;
    // The next read starts anew once this one is in (or failed).
    const done = () => {
      if (this.reading === entry) this.reading = null;
    };
    loads.then(done, done);
    return loads;
  }
}

/**
 * Takes a slot on an account for a new task: the parent's account for UPSCALE / VARIATION,
 * otherwise the least-loaded enabled one that `accept` takes (speed mode, account filter).
 * Refuses with 429 when every wait list is full.
 */
export async function reserveAccount(
  pool: AccountLoads,
  take: TakeSlot,
  parentAccountId: string | null,
  accept: (account: AccountStatus) => boolean = () => true,
): Promise<AccountStatus> {
  const { directory } = pool;
  if (parentAccountId !== null) {
    const account = await directory.get(parentAccountId);
    if (!account || !isAvailable(account)) throw new ApiError("PARENT_ACCOUNT_UNAVAILABLE");
    if (!(await take(account))) throw new ApiError("ACCOUNT_QUEUE_FULL");
    return account;
  }
  const accounts = (await directory.listCached(REGISTRY_MAX_AGE_MS)).filter(
    (account) => isAvailable(account) && accept(account),
  );
  if (accounts.length === 0) throw new ApiError("NO_ACCOUNT");
  // One account needs no ranking: its reservation alone says whether there is room.
  if (accounts.length === 1) {
    if (await take(accounts[0]!)) return accounts[0]!;
    throw new ApiError("QUEUES_FULL");
  }
  const ids = accounts.map((account) => account.id);
  for (let fresh = false; ; fresh = true) {
    const read = await pool.of(ids, fresh);
    // Ranked on the loads as counted at this moment and counted before the reservation is in: the
    // tasks of one batch, deciding side by side, spread over the accounts instead of all picking one.
    for (const account of rankAccounts(accounts, pool.counted(ids) ?? read.loads)) {
      pool.taken(account.id);
      if (await take(account)) return account;
      // Another API process filled it between ranking and reserving: try the next one.
      pool.taken(account.id, -1);
    }
    // Full by loads this process counted forward: read them again before saying so.
    if (read.fresh) throw new ApiError("QUEUES_FULL");
  }
}
