import { indexedTaskCount, keySpace, newTaskId, TaskStore } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

describe("a submit that died between writing its index entries and its record", () => {
  it("is cleared by the sweeper and never listed, while the task submitted beside it is", async () => {
    stack = await startStack({ timeoutMs: 60_000 });
    const worker = await stack.startWorker();
    const keys = keySpace(stack.prefix);
    const store = new TaskStore({ redis: stack.redis, keys, retentionMs: 3_600_000, timeoutMs: 60_000 });
    // The first half of a create whose process died long ago: list entry and deadline, no record.
    const submitTime = Date.now() - 10 * 60_000;
    const orphan = testRecord({
      _id: newTaskId(submitTime),
      prompt: "lost",
      accountId: stack.accounts[0]!.id,
      submitTime,
    });
    await store.indexNew(orphan);
    const { body } = await stack.submit({ action: "IMAGINE", prompt: "a quiet harbour" });
    expect(body.code).toBe(1);

    await worker.sweeper.sweep();
    expect(await store.overdue()).toEqual([]);
    const listed = await fetch(`${stack.apiUrl}/api/v1/task/list?limit=10`).then((r) => r.json());
    expect(JSON.stringify(listed)).toContain(body.result);
    expect(JSON.stringify(listed)).not.toContain(orphan._id);
    // The listing dropped the orphan's entry (older than the grace period): only the real task is indexed.
    expect(await indexedTaskCount(stack.redis, keys)).toBe(1);
  });
});
