/**
 * Every Redis key and BullMQ queue name, in one place.
 *
 * Redis Cluster: the part in braces is the hash tag. A task's keys share the tag `{<taskId>}`;
 * an account's keys and its BullMQ queue share `{acct-<accountId>}` (BullMQ builds its keys as
 * `<prefix>:<queueName>:…`, and the queue name carries the braces), so each Lua script and
 * MULTI touches one slot. The task list and deadline indexes are cut into INDEX_SHARDS shards; shard n of
 * both shares one tag (`{idx-n.<salt>}`, see INDEX_TAGS), so a new task's two index entries are written in one MULTI, and the
 * index load spreads over the masters. The account registry and the worker list stay single keys: a few
 * hundred entries, read once a second or less.
 */
export interface KeySpace {
  readonly prefix: string;
  task(taskId: string): string;
  taskCallbacks(taskId: string): string;
  /** LIST of a task's input images (data URLs; Vary Region's mask last), deleted once sent to Discord. */
  taskImages(taskId: string): string;
  /** ZSET of task ids scored by submitTime (ms): shard `shard` of the list index. */
  taskIndex(shard: number): string;
  /** ZSET of unfinished task ids scored by the time they must have ended (ms): shard `shard`. */
  deadlines(shard: number): string;
  /** Index keys of one layout before sharding, read once to move their entries into the shards. */
  readonly legacyTaskIndex: string;
  readonly legacyDeadlines: string;
  /** HASH accountId → public account status JSON (never a token). */
  readonly accounts: string;
  /** ZSET of the account's unfinished task ids scored by deadline: its load. */
  accountLoad(accountId: string): string;
  /** ZSET of the account's tasks running on Midjourney's side, scored by deadline (kept across owners). */
  accountRunning(accountId: string): string;
  /** STRING: id of the worker process that owns the account, with a TTL. */
  accountLease(accountId: string): string;
  /** STRING: earliest time (ms) the account may send its next interaction. */
  accountPacing(accountId: string): string;
  /** ZSET of worker process ids scored by their last heartbeat (ms). */
  readonly workers: string;
  /** Pub/sub channel on which account enable/disable requests are announced. */
  readonly accountEvents: string;
  /** BullMQ queue name of an account's work. */
  accountQueue(accountId: string): string;
  /** BullMQ queue name of callback deliveries. */
  readonly notifyQueue: string;
  /** STRING: the first answer to a submit sent with this idempotency key (its SHA-256 digest), kept 24 h. */
  idempotency(digest: string): string;
  /** Pub/sub channel on which every task record change is announced (`<id>\n<record>`). */
  readonly taskEvents: string;
}

/** Shards of the list and deadline indexes: part of the key layout, so fixed. */
export const INDEX_SHARDS = 16;

/** The index shard of a task: FNV-1a of its id, stable in every process. */
export function indexShard(taskId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < taskId.length; i++) {
    hash ^= taskId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % INDEX_SHARDS;
}

/** Redis Cluster's key slot of a hash tag: CRC16 (XMODEM) mod 16384. */
export function hashSlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/**
 * Hash tags of the index shards, shard n's in the n-th sixteenth of the slot range: masters own
 * contiguous slot ranges, so the shards spread as evenly as they can (5/5/6 on three masters, where
 * the plain tags `idx-0`…`idx-15` land 9/4/3).
 */
const INDEX_TAGS = Array.from({ length: INDEX_SHARDS }, (_, shard) => {
  const width = 16_384 / INDEX_SHARDS;
  for (let salt = 0; ; salt++) {
    const tag = `idx-${shard}.${salt}`;
    if (Math.floor(hashSlot(tag) / width) === shard) return tag;
  }
});

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function keySpace(prefix = "mj"): KeySpace {
  const acct = (id: string) => `${prefix}:acct:{acct-${id}}`;
  return {
    prefix,
    task: (id) => `${prefix}:task:{${id}}`,
    taskCallbacks: (id) => `${prefix}:task:{${id}}:callbacks`,
    taskImages: (id) => `${prefix}:task:{${id}}:images`,
    taskIndex: (shard) => `${prefix}:tasks:{${INDEX_TAGS[shard]}}`,
    deadlines: (shard) => `${prefix}:deadlines:{${INDEX_TAGS[shard]}}`,
    legacyTaskIndex: `${prefix}:tasks`,
    legacyDeadlines: `${prefix}:deadlines`,
    accounts: `${prefix}:accounts`,
    accountLoad: (id) => `${acct(id)}:load`,
    accountRunning: (id) => `${acct(id)}:running`,
    accountLease: (id) => `${acct(id)}:lease`,
    accountPacing: (id) => `${acct(id)}:pacing`,
    workers: `${prefix}:workers`,
    accountEvents: `${prefix}:account-events`,
    accountQueue: (id) => `{acct-${id}}`,
    notifyQueue: "{notify}",
    idempotency: (digest) => `${prefix}:idem:{${digest}}`,
    taskEvents: `${prefix}:task-events`,
  };
}
