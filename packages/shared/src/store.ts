import type { Redis } from "ioredis";
import type { KeySpace } from "./keys.js";
import { RedisScript } from "./redis.js";
import { applyPatch, type TaskPatch } from "./state.js";
import { isTerminal, type TaskAction, type TaskRecord, type TaskStatus, withDefaults } from "./task.js";

// Compare-and-set on the record's revision: concurrent writers (gateway events, sweeper, job) never lose an update.
const CAS_SCRIPT = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if tonumber(cjson.decode(current)['rev']) ~= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 1
`);

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

  /** Writes a new record with its list entry and deadline in one MULTI. */
  async create(record: TaskRecord): Promise<void> {
    const results = await this.redis
      .multi()
      .set(this.keys.task(record._id), JSON.stringify(record), "NX")
      .zadd(this.keys.taskIndex, record.submitTime, record._id)
      .zadd(this.keys.deadlines, record.submitTime + this.timeoutMs, record._id)
      .exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    if (results?.[0]?.[1] !== "OK") throw new TaskExistsError(record._id);
  }

  /** Undoes `create` when the task could not be queued: no half-written record stays behind. */
  async remove(taskId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.task(taskId), this.keys.taskCallbacks(taskId))
      .zrem(this.keys.taskIndex, taskId)
      .zrem(this.keys.deadlines, taskId)
      .exec();
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    const raw = await this.redis.get(this.keys.task(taskId));
    return raw === null ? null : parseRecord(raw);
  }

  async getMany(taskIds: string[]): Promise<(TaskRecord | null)[]> {
    if (taskIds.length === 0) return [];
    const raws = await this.redis.mget(taskIds.map((id) => this.keys.task(id)));
    return raws.map((raw) => (raw === null ? null : parseRecord(raw)));
  }

  /**
   * Reads, patches through the state machine and writes back with compare-and-set, retrying on
   * conflict. `decide` returns null to leave the record as it is.
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
        [this.keys.task(taskId)],
        [before.rev, JSON.stringify(record), ttl],
      )) as number;
      if (written === 1) {
        if (isTerminal(record.status)) await this.redis.zrem(this.keys.deadlines, taskId);
        return { outcome: "updated", before, record };
      }
      if (written === -1) return { outcome: "missing" };
    }
    throw new Error(`task ${taskId}: too many concurrent updates`);
  }

  /** Newest first, filtered, one bounded page; entries whose record expired are dropped from the index. */
  async list(query: ListQuery): Promise<ListPage> {
    let position = query.cursor ? decodeCursor(query.cursor) : null;
    const tasks: TaskRecord[] = [];
    let scanned = 0;
    while (tasks.length < query.limit && scanned < SCAN_BUDGET) {
      const max = position ? String(position.score) : "+inf";
      // Entries sharing the cursor's score come back again; skip the ones already handed out.
      const raw = await this.redis.zrevrangebyscore(
        this.keys.taskIndex,
        max,
        "-inf",
        "WITHSCORES",
        "LIMIT",
        0,
        SCAN_BATCH,
      );
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const id = raw[i]!;
        const score = Number(raw[i + 1]);
        if (position && score === position.score && id >= position.id) continue;
        entries.push({ id, score });
      }
      if (entries.length === 0) return { tasks, nextCursor: null };
      const records = await this.getMany(entries.map((entry) => entry.id));
      const expired: string[] = [];
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const record = records[i];
        scanned++;
        position = entry;
        if (!record) {
          expired.push(entry.id);
          continue;
        }
        if (matches(record, query)) tasks.push(record);
        if (tasks.length === query.limit) break;
      }
      if (expired.length > 0) await this.redis.zrem(this.keys.taskIndex, ...expired);
      if (tasks.length === query.limit) break;
      // A short batch means the index is exhausted: there is no older page.
      if (raw.length / 2 < SCAN_BATCH) return { tasks, nextCursor: null };
    }
    return { tasks, nextCursor: position ? encodeCursor(position) : null };
  }

  /** Drops list entries old enough that their record has certainly expired. */
  async pruneIndex(now = Date.now()): Promise<number> {
    return this.redis.zremrangebyscore(this.keys.taskIndex, "-inf", now - this.retentionMs - this.timeoutMs);
  }

  /** Unfinished tasks whose deadline has passed. */
  async overdue(now = Date.now(), limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.deadlines, "-inf", now, "LIMIT", 0, limit);
  }

  async clearDeadline(taskId: string): Promise<void> {
    await this.redis.zrem(this.keys.deadlines, taskId);
  }
}

function matches(record: TaskRecord, query: ListQuery): boolean {
  if (query.status && record.status !== query.status) return false;
  if (query.action && record.action !== query.action) return false;
  if (query.state !== undefined && record.state !== query.state) return false;
  return true;
}

// Records are only ever written by this store from typed values; reads skip re-validation (hot path).
function parseRecord(raw: string): TaskRecord {
  return withDefaults(JSON.parse(raw) as TaskRecord);
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

function decodeCursor(cursor: string): { id: string; score: number } {
  const match = /^(\d+):([0-9a-f]{24}|\d{13,17})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw new InvalidCursorError("invalid cursor");
  return { score: Number(match[1]), id: match[2]! };
}
