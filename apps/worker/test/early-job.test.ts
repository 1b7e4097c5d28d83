import { keySpace, newNumericTaskId, TASK_JOB_NAME, TaskStore, taskJobOptions } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("a job that reaches the worker before its task record", () => {
  it("is tried again until the record is there, and the task completes", async () => {
    stack = await startStack({ stepDelayMs: 5 });
    const keys = keySpace(stack.prefix);
    const account = stack.accounts[0]!;
    const taskId = newNumericTaskId();
    const queue = new Queue(keys.accountQueue(account.id), { connection: stack.redis, prefix: keys.prefix });
    await queue.add(TASK_JOB_NAME, { taskId }, taskJobOptions(taskId));
    // The worker finds the job with no record for a while.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const store = new TaskStore({ redis: stack.redis, keys, retentionMs: 3_600_000, timeoutMs: 60_000 });
    await store.create(testRecord({ _id: taskId, prompt: "an early lantern", accountId: account.id }));
    const task = await stack.waitForTask(taskId);
    expect(task.status).toBe("SUCCESS");
    await queue.close();
  });
});
