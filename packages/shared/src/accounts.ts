import type { Redis } from "ioredis";
import { z } from "zod";
import { ACCOUNT_ID_PATTERN, type KeySpace } from "./keys.js";
import { RedisScript } from "./redis.js";
import { SPEED_MODES, type SpeedMode, SpeedModeSchema } from "./task.js";

/** One Discord account as configured in MJ_ACCOUNTS / MJ_ACCOUNTS_FILE (README "Configuration"). */
export const AccountConfigSchema = z.object({
  /** Stable name used in queue and key names; defaults to the channel id. */
  id: z.string().regex(ACCOUNT_ID_PATTERN, "letters, digits, '_' and '-' only (≤ 64)").optional(),
  /** User token, sent as `Authorization: <token>` without a prefix. */
  token: z.string().min(1),
  guildId: z.string().regex(/^\d{1,25}$/, "a Discord snowflake"),
  channelId: z.string().regex(/^\d{1,25}$/, "a Discord snowflake"),
  /** Midjourney's running-job slots for this plan. @defaultValue 3 */
  concurrency: z.number().int().min(1).max(1_000).default(3),
  /** Tasks that may wait for a slot before the API answers 429. @defaultValue 10 */
  queueSize: z.number().int().min(0).max(1_000_000).default(10),
  enabled: z.boolean().default(true),
  /** Minimum gap between two interactions of this account (ms). @defaultValue 1000 */
  minIntervalMs: z.number().int().min(0).max(600_000).default(1_000),
  /** Random extra delay added to each gap, 0..jitterMs (ms). @defaultValue 500 */
  jitterMs: z.number().int().min(0).max(600_000).default(500),
  /** Midjourney's Remix mode is on: V / Vary / reroll / pan open a pop-up asking for a prompt. @defaultValue false */
  remix: z.boolean().optional(),
  /** Speed modes the account's plan allows, for `/mj-fast`, `/mj-relax`, `/mj-turbo`. @defaultValue all three */
  modes: z.array(SpeedModeSchema).min(1).optional(),
});
export type AccountConfigInput = z.input<typeof AccountConfigSchema>;
export type AccountConfig = z.infer<typeof AccountConfigSchema> & { id: string };

export const AccountListSchema = z
  .array(AccountConfigSchema)
  .min(1, "at least one account")
  .transform((accounts) => accounts.map((account) => ({ ...account, id: account.id ?? account.channelId })))
  .superRefine((accounts, ctx) => {
    const seen = new Set<string>();
    for (const account of accounts) {
      if (seen.has(account.id))
        ctx.addIssue({ code: "custom", message: `duplicate account id ${account.id}` });
      seen.add(account.id);
    }
  });

/** What every process may know about an account: never its token. */
export const AccountStatusSchema = z.object({
  id: z.string(),
  enabled: z.boolean(),
  /** Why the account was taken out of rotation (gateway 4004, "Blocked" embed, …); null when fine. */
  disabledReason: z.string().nullable(),
  concurrency: z.number().int(),
  queueSize: z.number().int(),
  /** Public Discord ids (not secrets): the `/mj` account view shows them. */
  guildId: z.string().optional(),
  channelId: z.string().optional(),
  /** Remix on: set from the configuration, and by the worker when a pop-up shows it is on anyway. */
  remix: z.boolean().optional(),
  /** Speed modes the plan allows; absent: all three. */
  modes: z.array(SpeedModeSchema).optional(),
  owner: z.string().nullable(),
  gateway: z.string(),
  lastError: z.string().nullable(),
  updatedAt: z.number(),
});
export type AccountStatus = z.infer<typeof AccountStatusSchema>;

/** Whether the account's plan allows the speed mode (null: any account will do). */
export function allowsMode(status: AccountStatus, mode: SpeedMode | null): boolean {
  return mode === null || (status.modes ?? SPEED_MODES).includes(mode);
}

export function isAvailable(status: AccountStatus): boolean {
  return status.enabled && status.disabledReason === null;
}

// Frees the slots of tasks past their deadline, then takes one slot if the account has room.
const RESERVE_SCRIPT = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
return 1
`);

// cjson turns JSON null into cjson.null, which encodes back to null: cleared fields stay cleared.
const PATCH_SCRIPT = new RedisScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local status = cjson.decode(current)
for field, value in pairs(cjson.decode(ARGV[2])) do status[field] = value end
local merged = cjson.encode(status)
redis.call('HSET', KEYS[1], ARGV[1], merged)
return merged
`);

/** The shared view of accounts: status registry and per-account load, across every process. */
export class AccountDirectory {
  private cached: { at: number; list: Promise<AccountStatus[]> } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  /**
   * `list()` remembered for `maxAgeMs`: the submit hot path reads the registry once per interval
   * instead of once per request. Writes through this directory forget it at once.
   */
  listCached(maxAgeMs: number, now = Date.now()): Promise<AccountStatus[]> {
    if (!this.cached || now - this.cached.at > maxAgeMs) {
      const list = this.list();
      this.cached = { at: now, list };
      list.catch(() => {
        if (this.cached?.list === list) this.cached = null;
      });
    }
    return this.cached.list;
  }

  async list(): Promise<AccountStatus[]> {
    const entries = await this.redis.hgetall(this.keys.accounts);
    return Object.values(entries)
      .map((raw) => AccountStatusSchema.safeParse(JSON.parse(raw)))
      .flatMap((parsed) => (parsed.success ? [parsed.data] : []))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(accountId: string): Promise<AccountStatus | null> {
    const raw = await this.redis.hget(this.keys.accounts, accountId);
    if (raw === null) return null;
    const parsed = AccountStatusSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async put(status: AccountStatus): Promise<void> {
    this.cached = null;
    await this.redis.hset(this.keys.accounts, status.id, JSON.stringify(status));
  }

  /** Merges fields into an entry inside Redis, so concurrent patches from several processes never undo each other. */
  async patch(accountId: string, change: Partial<Omit<AccountStatus, "id">>): Promise<AccountStatus | null> {
    this.cached = null;
    const raw = (await PATCH_SCRIPT.run(
      this.redis,
      [this.keys.accounts],
      [accountId, JSON.stringify({ ...change, updatedAt: Date.now() })],
    )) as string | null;
    if (raw === null) return null;
    const parsed = AccountStatusSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /** Unfinished tasks held by each account (running and waiting). */
  async loads(accountIds: string[], now = Date.now()): Promise<number[]> {
    if (accountIds.length === 0) return [];
    // One MULTI per account: each touches its own slot, so this works the same on a cluster.
    const results = await Promise.all(
      accountIds.map((id) =>
        this.redis
          .multi()
          .zremrangebyscore(this.keys.accountLoad(id), "-inf", now)
          .zcard(this.keys.accountLoad(id))
          .exec(),
      ),
    );
    return results.map((result) => Number(result?.[1]?.[1] ?? 0));
  }

  /** Takes a slot on the account for the task until its deadline; false when the account is full. */
  async reserve(
    account: AccountStatus,
    taskId: string,
    deadline: number,
    now = Date.now(),
  ): Promise<boolean> {
    const capacity = account.concurrency + account.queueSize;
    const taken = await RESERVE_SCRIPT.run(
      this.redis,
      [this.keys.accountLoad(account.id)],
      [now, capacity, deadline, taskId],
    );
    return taken === 1;
  }

  async release(accountId: string, taskId: string): Promise<void> {
    await this.redis.zrem(this.keys.accountLoad(accountId), taskId);
  }
}

/** Least-loaded first; ties broken by id so choices are stable. */
export function rankAccounts(accounts: AccountStatus[], loads: number[]): AccountStatus[] {
  return accounts
    .map((account, i) => ({ account, load: loads[i] ?? 0 }))
    .filter(({ account, load }) => isAvailable(account) && load < account.concurrency + account.queueSize)
    .sort(
      (a, b) =>
        a.load / capacityOf(a.account) - b.load / capacityOf(b.account) ||
        a.account.id.localeCompare(b.account.id),
    )
    .map(({ account }) => account);
}

function capacityOf(account: AccountStatus): number {
  return account.concurrency + account.queueSize;
}
