import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountDirectory, type AccountStatus, rankAccounts } from "../src/accounts.js";
import { newTaskId } from "../src/ids.js";
import { keySpace } from "../src/keys.js";
import { InvalidCursorError, indexedTaskCount, TaskExistsError, TaskStore } from "../src/store.js";
import type { TaskRecord } from "../src/task.js";
import { dropPrefix, testRecord, testRedis, uniquePrefix } from "../src/testing.js";

const redis = testRedis();
let prefix: string;
let store: TaskStore;

function task(submitTime: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    ...testRecord({ _id: newTaskId(submitTime), prompt: "p", submitTime }),
    ...extra,
  };
}

beforeEach(() => {
  prefix = uniquePrefix("store");
  store = new TaskStore({ redis, keys: keySpace(prefix), retentionMs: 60_000, timeoutMs: 600_000 });
});
afterEach(() => dropPrefix(redis, prefix));
afterAll(() => redis.quit());

describe("task store", () => {
  it("lists newest first in pages that join up without gaps or repeats", async () => {
    const created: TaskRecord[] = [];
    for (let i = 0; i < 25; i++) {
      const record = task(1_700_000_000_000 + i * 10);
      await store.create(record);
      created.push(record);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 10, cursor });
      seen.push(...page.tasks.map((t) => t._id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(created.map((t) => t._id).reverse());
  });

  it("filters by status, action and state", async () => {
    await store.create(task(1000, { state: "mine" }));
    const other = task(2000, { state: "theirs" });
    await store.create(other);
    await store.update(other._id, () => ({ status: "FAILURE", failReason: "x" }));
    expect((await store.list({ limit: 10, state: "mine" })).tasks).toHaveLength(1);
    expect((await store.list({ limit: 10, status: "FAILURE" })).tasks.map((t) => t._id)).toEqual([other._id]);
    expect((await store.list({ limit: 10, action: "UPSCALE" })).tasks).toHaveLength(0);
  });

  it("refuses a cursor it did not hand out", async () => {
    await expect(store.list({ limit: 10, cursor: "garbage" })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("expires finished tasks after the retention and drops them from the list", async () => {
    const short = new TaskStore({ redis, keys: keySpace(prefix), retentionMs: 200, timeoutMs: 600_000 });
    const record = task(Date.now());
    await short.create(record);
    await short.update(record._id, () => ({ status: "SUCCESS" }));
    expect(await redis.pttl(keySpace(prefix).task(record._id))).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await short.get(record._id)).toBeNull();
    expect((await short.list({ limit: 10 })).tasks).toHaveLength(0);
    // The entry stays a minute (a create may be between its two writes), then goes.
    expect((await short.list({ limit: 10 }, Date.now() + 120_000)).tasks).toHaveLength(0);
    expect(await indexedTaskCount(redis, keySpace(prefix))).toBe(0);
  });

  it("never loses one of many concurrent updates", async () => {
    const record = task(Date.now());
    await store.create(record);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.update(record._id, (current) => ({ discord: { sends: current.discord.sends + 1 } })),
      ),
    );
    expect((await store.get(record._id))?.discord.sends).toBe(20);
  });

  it("keeps finished tasks out of the deadline list", async () => {
    const record = task(Date.now() - 700_000);
    await store.create(record);
    expect(await store.overdue()).toEqual([record._id]);
    await store.update(record._id, () => ({ status: "FAILURE", failReason: "timeout" }));
    expect(await store.overdue()).toEqual([]);
  });
});

describe("account directory", () => {
  const account = (id: string, extra: Partial<AccountStatus> = {}): AccountStatus => ({
    id,
    enabled: true,
    disabledReason: null,
    concurrency: 1,
    queueSize: 1,
    owner: null,
    gateway: "idle",
    lastError: null,
    updatedAt: 0,
    ...extra,
  });

  it("refuses a reservation once running slots and wait list are full", async () => {
    const directory = new AccountDirectory(redis, keySpace(prefix));
    const a = account("a");
    const deadline = Date.now() + 60_000;
    expect(await directory.reserve(a, "t1", deadline)).toBe(true);
    expect(await directory.reserve(a, "t2", deadline)).toBe(true);
    expect(await directory.reserve(a, "t3", deadline)).toBe(false);
    await directory.release("a", "t1");
    expect(await directory.reserve(a, "t3", deadline)).toBe(true);
  });

  it("frees the slot of a task past its deadline", async () => {
    const directory = new AccountDirectory(redis, keySpace(prefix));
    const a = account("a", { queueSize: 0 });
    expect(await directory.reserve(a, "t1", Date.now() - 1)).toBe(true);
    expect(await directory.reserve(a, "t2", Date.now() + 60_000)).toBe(true);
  });

  it("ranks enabled accounts by load and leaves out full or disabled ones", () => {
    const ranked = rankAccounts(
      [account("a"), account("b"), account("c", { disabledReason: "4004" }), account("d")],
      [1, 0, 0, 2],
    );
    expect(ranked.map((a) => a.id)).toEqual(["b", "a"]);
  });
});

describe("account registry patches", () => {
  it("merge concurrent changes from several writers without losing one", async () => {
    const directory = new AccountDirectory(redis, keySpace(prefix));
    await directory.put({
      id: "a",
      enabled: true,
      disabledReason: null,
      concurrency: 3,
      queueSize: 10,
      owner: null,
      gateway: "idle",
      lastError: null,
      updatedAt: 0,
    });
    await Promise.all([
      directory.patch("a", { gateway: "ready" }),
      directory.patch("a", { disabledReason: "Blocked" }),
      directory.patch("a", { owner: "w1" }),
    ]);
    expect(await directory.get("a")).toMatchObject({
      gateway: "ready",
      disabledReason: "Blocked",
      owner: "w1",
    });
    await directory.patch("a", { disabledReason: null });
    expect((await directory.get("a"))?.disabledReason).toBeNull();
    expect(await directory.patch("missing", { gateway: "x" })).toBeNull();
  });
});

describe("a create that died between its two writes", () => {
  it("leaves an entry the list never shows, keeps it while the record may still come, then drops it", async () => {
    const orphan = task(Date.now());
    await store.indexNew(orphan);
    expect((await store.list({ limit: 10 })).tasks).toEqual([]);
    // Within the grace period the record may still be on its way: the entry stays and the write completes it.
    expect(await indexedTaskCount(redis, keySpace(prefix))).toBe(1);
    const late = task(Date.now());
    await store.indexNew(late);
    await redis.set(keySpace(prefix).task(late._id), JSON.stringify(late));
    expect((await store.list({ limit: 10 })).tasks.map((t) => t._id)).toEqual([late._id]);
    // A minute on, the orphan is dropped by the next listing.
    expect((await store.list({ limit: 10 }, Date.now() + 120_000)).tasks.map((t) => t._id)).toEqual([
      late._id,
    ]);
    expect(await indexedTaskCount(redis, keySpace(prefix))).toBe(1);
  });

  it("shows up past its deadline with no record, so the sweeper clears the deadline instead of failing a task", async () => {
    const orphan = task(Date.now() - 700_000);
    await store.indexNew(orphan);
    expect(await store.overdue()).toEqual([orphan._id]);
    expect(
      (await store.update(orphan._id, () => ({ status: "FAILURE", failReason: "timeout" }))).outcome,
    ).toBe("missing");
    await store.clearDeadline(orphan._id);
    expect(await store.overdue()).toEqual([]);
  });

  it("keeps the first task's entries when a new task draws an id already taken", async () => {
    const first = task(1_000);
    await store.create(first);
    await expect(store.create({ ...first, submitTime: 5_000 })).rejects.toBeInstanceOf(TaskExistsError);
    expect((await store.list({ limit: 10 })).tasks.map((t) => t.submitTime)).toEqual([1_000]);
    expect(await store.overdue(1_000 + 600_000)).toEqual([first._id]);
  });

  it("removing a task that could not be queued takes its record and both index entries", async () => {
    const record = task(Date.now() - 700_000);
    await store.create(record);
    await store.remove(record._id);
    expect(await store.get(record._id)).toBeNull();
    expect(await store.overdue()).toEqual([]);
    expect(await indexedTaskCount(redis, keySpace(prefix))).toBe(0);
  });
});

describe("sharded list index", () => {
  it("pages through hundreds of tasks spread over the shards, newest first, with equal submit times", async () => {
    const created: TaskRecord[] = [];
    for (let i = 0; i < 300; i++) created.push(task(1_700_000_000_000 + Math.floor(i / 3)));
    await Promise.all(created.map((record) => store.create(record)));
    const expected = [...created]
      .sort((a, b) => b.submitTime - a.submitTime || (a._id < b._id ? 1 : -1))
      .map((t) => t._id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 7, cursor });
      seen.push(...page.tasks.map((t) => t._id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  it("moves the indexes of the unsharded layout into the shards", async () => {
    const keys = keySpace(prefix);
    const record = task(Date.now() - 700_000);
    await redis.set(keys.task(record._id), JSON.stringify(record));
    await redis.zadd(keys.legacyTaskIndex, record.submitTime, record._id);
    await redis.zadd(keys.legacyDeadlines, record.submitTime + 600_000, record._id);
    expect(await store.migrateLegacyIndexes()).toBe(2);
    expect(await store.migrateLegacyIndexes()).toBe(0);
    expect((await store.list({ limit: 10 })).tasks.map((t) => t._id)).toEqual([record._id]);
    expect(await store.overdue()).toEqual([record._id]);
    expect(await redis.exists(keys.legacyTaskIndex)).toBe(0);
    expect(await redis.exists(keys.legacyDeadlines)).toBe(0);
  });
});
