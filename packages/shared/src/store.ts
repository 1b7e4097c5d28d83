import type { Redis } from "ioredis";
import { INDEX_SHARDS, indexShard, type KeySpace } from "./keys.js";
import { isCluster, RedisScript, replicaAck, waitForReplicas } from "./redis.js";
import { applyPatch, type TaskPatch } from "./state.js";
import {
  decodeRecord,
  encodeRecord,
  isTerminal,
  type TaskAction,
  type TaskRecord,
  type TaskStatus,
} from "./task.js";

// Compare-and-set on the record's revision: concurrent writers (gateway events, sweeper, job) never lose an update.
// Each change is announced on the task-events channel as `<id>\n<record>` (classic PUBLISH takes no
// key, so the script stays in one slot, and on a cluster it reaches subscribers on every node).
const CAS_SCRIPT = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if tonumber(cjson.decode(current)['rev']) ~= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
  -- A finished task needs its input images no more (KEYS[2] shares the record's slot).
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\\n' .. ARGV[2])
return 1
`);

// New tasks in one round trip (single Redis only: the keys span slots), four keys and five
// arguments each after `now`: frees the account's lapsed slots, takes one if there is room, then
// writes the list entry, deadline and record. Per task: 1 created, 0 the account is full, -1 the id
// is taken (nothing written).
const CREATE_WITH_SLOT_SCRIPT = new RedisScript(`
local out = {}
local now = ARGV[1]
for i = 0, #KEYS / 4 - 1 do
  local load, task = KEYS[i * 4 + 1], KEYS[i * 4 + 4]
  local a = i * 5 + 1
  redis.call('ZREMRANGEBYSCORE', load, '-inf', now)
  if redis.call('ZCARD', load) >= tonumber(ARGV[a + 1]) then
    out[#out + 1] = 0
  elseif redis.call('EXISTS', task) == 1 then
    out[#out + 1] = -1
  else
    redis.call('ZADD', load, ARGV[a + 2], ARGV[a + 3])
    redis.call('ZADD', KEYS[i * 4 + 2], 'NX', ARGV[a + 4], ARGV[a + 3])
    redis.call('ZADD', KEYS[i * 4 + 3], 'NX', ARGV[a + 2], ARGV[a + 3])
    redis.call('SET', task, ARGV[a + 5])
    out[#out + 1] = 1
  end
end
return out
`);

/** The account slot a new task takes as it is written (see `TaskStore.createManyWithSlots`). */
export interface SlotClaim {
  accountId: string;
  /** Running plus waiting tasks the account holds at most. */
  capacity: number;
}

export interface TaskStoreOptions {
  redis: Redis;
  keys: KeySpace;
  /** How long a finished task is kept (ms). */
  retentionMs: number;
  /** How long a task may run before it is failed with "timeout" (ms). */
  timeoutMs: number;
}

export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  status?: TaskStatus | undefined;
  action?: TaskAction | undefined;
  state?: string | undefined;
}

export interface ListPage {
  tasks: TaskRecord[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export type UpdateResult =
  | { outcome: "updated"; before: TaskRecord; record: TaskRecord }
  | { outcome: "unchanged"; record: TaskRecord }
  | { outcome: "missing" };

const SCAN_BATCH = 200;
// A filtered page stops scanning after this many index entries, handing back a cursor to go on.
const SCAN_BUDGET = 5_000;

export class TaskStore {
  readonly keys: KeySpace;
  readonly retentionMs: number;
  readonly timeoutMs: number;
  private readonly redis: Redis;

  constructor(options: TaskStoreOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.retentionMs = options.retentionMs;
    this.timeoutMs = options.timeoutMs;
  }

  /**
   * Writes a new record: first its list entry and deadline (one MULTI on the index shard), then the
   * record itself. On a cluster the two parts live in different slots; a process dying between them
   * leaves index entries without a record, which `list` skips and later drops and the sweeper clears
   * (see `indexNew`), never a record that is missing from the list or would never time out. With
   * REDIS_WAIT_REPLICAS, each part is on that many replicas before the next: a master failing after
   * the submit was acknowledged loses neither the record nor its deadline.
   */
  async create(record: TaskRecord): Promise<void> {
    await this.indexNew(record);
    const key = this.keys.task(record._id);
    const written = await this.redis.set(key, encodeRecord(record), "NX");
    if (written !== "OK") throw new TaskExistsError(record._id);
    await waitForReplicas(this.redis, key);
  }

  /**
   * Whether `createManyWithSlots` can be used: on one Redis server a script may touch every key; on a
   * cluster the account's, the index's and the task's keys live in different slots.
   */
  get createsWithSlot(): boolean {
    return !isCluster(this.redis);
  }

  /**
   * New tasks, each taking a slot on its account (until the task's deadline) and written with its
   * list entry and deadline, all in one script (the API gathers the submits of one moment): one
   * outcome per task, in order. "full" and "exists" (an id collision) leave that task unwritten;
   * ScriptNotLoadedError (Redis had lost its scripts; loaded again now) leaves all of them unwritten
   * and the caller retries with new ids. Single Redis only (`createsWithSlot`); a cluster takes
   * `AccountDirectory.reserve`, then `create`.
   */
  async createManyWithSlots(
    tasks: readonly { record: TaskRecord; slot: SlotClaim }[],
    now = Date.now(),
  ): Promise<("created" | "full" | "exists")[]> {
    if (tasks.length === 0) return [];
    const keys: string[] = [];
    const args: (string | number)[] = [now];
    for (const { record, slot } of tasks) {
      const shard = indexShard(record._id);
      keys.push(
        this.keys.accountLoad(slot.accountId),
        this.keys.taskIndex(shard),
        this.keys.deadlines(shard),
        this.keys.task(record._id),
      );
      args.push(
        slot.capacity,
        record.submitTime + this.timeoutMs,
        record._id,
        record.submitTime,
        encodeRecord(record),
      );
    }
    let outcomes: number[];
    try {
      // By SHA only: a fallback EVAL would run after commands sent behind this one (the tasks' jobs).
      outcomes = (await this.redis.evalsha(
        CREATE_WITH_SLOT_SCRIPT.sha,
        keys.length,
        ...keys,
        ...args,
      )) as number[];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      await this.redis.script("LOAD", CREATE_WITH_SLOT_SCRIPT.source);
      throw new ScriptNotLoadedError();
    }
    const created = outcomes.some((outcome) => outcome === 1);
    if (created && replicaAck(this.redis)) await waitForReplicas(this.redis, keys[3]!);
    return outcomes.map((outcome) => (outcome === 1 ? "created" : outcome === 0 ? "full" : "exists"));
  }

  /**
   * The first half of `create`: the list entry and deadline of a task about to be written. NX: an
   * id collision leaves the existing task's entries as they are.
   */
  async indexNew(record: TaskRecord): Promise<void> {
    const shard = indexShard(record._id);
    const results = await this.redis
      .multi()
      .zadd(this.keys.taskIndex(shard), "NX", record.submitTime, record._id)
      .zadd(this.keys.deadlines(shard), "NX", record.submitTime + this.timeoutMs, record._id)
      .exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    await waitForReplicas(this.redis, this.keys.deadlines(shard));
  }

  /** Undoes `create` when the task could not be queued: the record goes first, so no half-written task is ever visible. */
  async remove(taskId: string): Promise<void> {
    await this.redis.del(
      this.keys.task(taskId),
      this.keys.taskCallbacks(taskId),
      this.keys.taskImages(taskId),
    );
    const shard = indexShard(taskId);
    await this.redis
      .multi()
      .zrem(this.keys.taskIndex(shard), taskId)
      .zrem(this.keys.deadlines(shard), taskId)
      .exec();
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    const raw = await this.redis.get(this.keys.task(taskId));
    return raw === null ? null : parseRecord(raw);
  }

  async getMany(taskIds: string[]): Promise<(TaskRecord | null)[]> {
    if (taskIds.length === 0) return [];
    // Records live in different slots: one GET each on a cluster (auto-pipelined per node), one MGET otherwise.
    const raws = isCluster(this.redis)
      ? await Promise.all(taskIds.map((id) => this.redis.get(this.keys.task(id))))
      : await this.redis.mget(taskIds.map((id) => this.keys.task(id)));
    return raws.map((raw) => (raw === null ? null : parseRecord(raw)));
  }

  /**
   * Reads, patches through the state machine and writes back with compare-and-set, retrying on
   * conflict; the new record is published on `keys.taskEvents` (the API's event streams follow it).
   * `decide` returns null to leave the record as it is.
   */
  async update(taskId: string, decide: (record: TaskRecord) => TaskPatch | null): Promise<UpdateResult> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const before = await this.get(taskId);
      if (!before) return { outcome: "missing" };
      const patch = decide(before);
      if (!patch) return { outcome: "unchanged", record: before };
      const record = applyPatch(before, patch);
      const ttl = isTerminal(record.status) ? this.retentionMs : 0;
      const written = (await CAS_SCRIPT.run(
        this.redis,
        [this.keys.task(taskId), this.keys.taskImages(taskId)],
        [before.rev, encodeRecord(record), ttl, this.keys.taskEvents, taskId],
      )) as number;
      if (written === 1) {
        if (isTerminal(record.status)) await this.clearDeadline(taskId);
        return { outcome: "updated", before, record };
      }
      if (written === -1) return { outcome: "missing" };
    }
    throw new Error(`task ${taskId}: too many concurrent updates`);
  }

  /**
   * Newest first, filtered, one bounded page, merged from the index shards; entries whose record
   * expired (or was never written) are dropped from the index.
   */
  async list(query: ListQuery, now = Date.now()): Promise<ListPage> {
    let position = query.cursor ? decodeCursor(query.cursor) : null;
    const tasks: TaskRecord[] = [];
    let scanned = 0;
    const batch = Math.min(SCAN_BATCH, Math.max(16, Math.ceil((query.limit * 2) / INDEX_SHARDS)));
    while (tasks.length < query.limit && scanned < SCAN_BUDGET) {
      const max = position ? String(position.score) : "+inf";
      const pages = await Promise.all(
        shardNumbers().map(async (shard) =>
          parseShardPage(
            await this.redis.zrevrangebyscore(
              this.keys.taskIndex(shard),
              max,
              "-inf",
              "WITHSCORES",
              "LIMIT",
              0,
              batch,
            ),
            batch,
          ),
        ),
      );
      const { entries, exhausted } = mergeShardPages(pages, position);
      if (entries.length === 0) return { tasks, nextCursor: null };
      const records = await this.getMany(entries.map((entry) => entry.id));
      const orphans: string[] = [];
      let consumed = 0;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const record = records[i];
        scanned++;
        consumed++;
        position = entry;
        if (!record) {
          // A create still between its two writes must not lose its entry; older ones are orphans.
          if (entry.score < now - ORPHAN_GRACE_MS) orphans.push(entry.id);
          continue;
        }
        if (matches(record, query)) tasks.push(record);
        if (tasks.length === query.limit) break;
      }
      await this.dropIndexEntries(orphans);
      if (tasks.length === query.limit) break;
      // Every shard handed back less than a batch and all of it was read: there is no older page.
      if (exhausted && consumed === entries.length) return { tasks, nextCursor: null };
    }
    return { tasks, nextCursor: position ? encodeCursor(position) : null };
  }

  /** Drops list entries old enough that their record has certainly expired. */
  async pruneIndex(now = Date.now()): Promise<number> {
    const removed = await Promise.all(
      shardNumbers().map((shard) =>
        this.redis.zremrangebyscore(
          this.keys.taskIndex(shard),
          "-inf",
          now - this.retentionMs - this.timeoutMs,
        ),
      ),
    );
    return removed.reduce((sum, count) => sum + count, 0);
  }

  /** Unfinished tasks whose deadline has passed, earliest first, across the shards. */
  async overdue(now = Date.now(), limit = 100): Promise<string[]> {
    const pages = await Promise.all(
      shardNumbers().map((shard) =>
        this.redis.zrangebyscore(this.keys.deadlines(shard), "-inf", now, "WITHSCORES", "LIMIT", 0, limit),
      ),
    );
    return pages
      .flatMap((raw) => pairs(raw))
      .sort((a, b) => a.score - b.score)
      .slice(0, limit)
      .map((entry) => entry.id);
  }

  async clearDeadline(taskId: string): Promise<void> {
    await this.redis.zrem(this.keys.deadlines(indexShard(taskId)), taskId);
  }

  /**
   * Moves the entries of the indexes of the layout before sharding (one list key, one deadline key)
   * into the shards, a chunk per call; 0 once nothing is left. The sweeper calls it until done.
   */
  async migrateLegacyIndexes(chunk = 500): Promise<number> {
    let moved = 0;
    for (const [legacy, target] of [
      [this.keys.legacyTaskIndex, (shard: number) => this.keys.taskIndex(shard)],
      [this.keys.legacyDeadlines, (shard: number) => this.keys.deadlines(shard)],
    ] as const) {
      const entries = pairs(await this.redis.zrange(legacy, 0, chunk - 1, "WITHSCORES"));
      for (const entry of entries)
        await this.redis.zadd(target(indexShard(entry.id)), "NX", entry.score, entry.id);
      if (entries.length > 0) await this.redis.zrem(legacy, ...entries.map((entry) => entry.id));
      moved += entries.length;
    }
    return moved;
  }

  private async dropIndexEntries(taskIds: string[]): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const id of taskIds) byShard.set(indexShard(id), [...(byShard.get(indexShard(id)) ?? []), id]);
    await Promise.all(
      [...byShard].map(([shard, ids]) => this.redis.zrem(this.keys.taskIndex(shard), ...ids)),
    );
  }
}

/** Entries of the list index over every shard (records not yet expired, plus orphans not yet dropped). */
export async function indexedTaskCount(redis: Redis, keys: KeySpace): Promise<number> {
  const counts = await Promise.all(shardNumbers().map((shard) => redis.zcard(keys.taskIndex(shard))));
  return counts.reduce((sum, count) => sum + count, 0);
}

// A task id in the list index with no record and older than this is an orphan of a crashed create.
const ORPHAN_GRACE_MS = 60_000;

function shardNumbers(): number[] {
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => shard);
}

interface IndexEntry {
  id: string;
  score: number;
}

/** ZSET replies WITHSCORES → entries. */
function pairs(raw: string[]): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (let i = 0; i < raw.length; i += 2) entries.push({ id: raw[i]!, score: Number(raw[i + 1]) });
  return entries;
}

export interface ShardPage {
  entries: IndexEntry[];
  /** The shard may hold more entries below the last one. */
  full: boolean;
}

function parseShardPage(raw: string[], batch: number): ShardPage {
  return { entries: pairs(raw), full: raw.length / 2 >= batch };
}

/** Newest-first order of the list: by score, then by id, both descending (as ZREVRANGEBYSCORE). */
function newerFirst(a: IndexEntry, b: IndexEntry): number {
  return b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Merges one batch of every shard into the newest-first order, keeping only the entries that are
 * certainly complete: nothing a full shard has not handed out yet can come before its last entry.
 * Entries at or before `position` (already handed out) are left out. `exhausted`: no shard was full.
 */
export function mergeShardPages(
  pages: ShardPage[],
  position: IndexEntry | null,
): { entries: IndexEntry[]; exhausted: boolean } {
  let boundary: IndexEntry | null = null;
  for (const page of pages) {
    const last = page.entries.at(-1);
    if (!page.full || !last) continue;
    if (!boundary || newerFirst(last, boundary) < 0) boundary = last;
  }
  const entries = pages
    .flatMap((page) => page.entries)
    .filter((entry) => !position || newerFirst(position, entry) < 0)
    .filter((entry) => !boundary || newerFirst(entry, boundary) <= 0)
    .sort(newerFirst);
  return { entries, exhausted: boundary === null };
}

function matches(record: TaskRecord, query: ListQuery): boolean {
  if (query.status && record.status !== query.status) return false;
  if (query.action && record.action !== query.action) return false;
  if (query.state !== undefined && record.state !== query.state) return false;
  return true;
}

// Records are only ever written by this store from typed values; reads skip re-validation (hot path).
function parseRecord(raw: string): TaskRecord {
  return decodeRecord(raw);
}

function encodeCursor(position: { id: string; score: number }): string {
  return Buffer.from(`${position.score}:${position.id}`).toString("base64url");
}

export class InvalidCursorError extends Error {}

/** `create` found a record with the same id: the caller draws another id. */
export class TaskExistsError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} already exists`);
  }
}

/** `createManyWithSlots` found its script missing (a restarted Redis) and ran nothing; it is loaded now. */
export class ScriptNotLoadedError extends Error {
  constructor() {
    super("the create script was not loaded; retry");
  }
}

function decodeCursor(cursor: string): { id: string; score: number } {
  const match = /^(\d+):([0-9a-f]{24}|\d{13,17})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw new InvalidCursorError("invalid cursor");
  return { score: Number(match[1]), id: match[2]! };
}
