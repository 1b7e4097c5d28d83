import type { FailureKind } from "@mjg/discord-sim";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, type StackOptions, startStack } from "./harness.js";
import { accountStatus, sleep, submitOk, waitFor } from "./helpers.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function imagineAfterFailure(kind: FailureKind, options: StackOptions = {}) {
  stack = await startStack({ stepDelayMs: 10, ...options });
  stack.sim.control.failNext(stack.sim.accounts[0]!, kind);
  const id = await submitOk(stack, { action: "IMAGINE", prompt: `a windmill in a field ${kind}` });
  return stack.waitForTask(id);
}

describe("Midjourney's error answers end the task with the reason users can read", () => {
  it("a banned prompt ends in FAILURE with [Banned prompt …] and its description", async () => {
    const task = await imagineAfterFailure("banned");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/^\[Banned prompt[^\]]*\] Sorry!/);
  });

  it("a banned word in the prompt itself ends in FAILURE with [Banned prompt …]", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    const id = await submitOk(stack, { action: "IMAGINE", prompt: "a bannedword on a table" });
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/^\[Banned prompt/);
  });

  it("an invalid parameter ends in FAILURE with [Invalid parameter] and its description", async () => {
    const task = await imagineAfterFailure("invalid-parameter");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/^\[Invalid parameter\] \S/);
  });

  it("an unknown --parameter in the prompt ends in FAILURE naming the parameter", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    const id = await submitOk(stack, { action: "IMAGINE", prompt: "a teapot --foo 3" });
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/^\[Invalid parameter\].*--foo/);
  });

  it("'Action needed to continue' ends in FAILURE with its title", async () => {
    const task = await imagineAfterFailure("action-needed");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/^\[Action needed to continue\] \S/);
  });

  it("'There was an error processing your request' ends in FAILURE with that text", async () => {
    const task = await imagineAfterFailure("error");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toContain("There was an error");
  });

  it("a job Midjourney stops midway ends in FAILURE", async () => {
    const task = await imagineAfterFailure("stop-midway");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/stop/i);
    expect(task.imageUrl ?? "").toBe("");
  });

  it("a job that never finishes ends in FAILURE 'timeout'", async () => {
    const task = await imagineAfterFailure("never-finish", { timeoutMs: 3_000 });
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toBe("timeout");
  });

  it("'Queue full' is sent again later with a new nonce and ends in SUCCESS", async () => {
    const task = await imagineAfterFailure("queue-full");
    expect(task.status).toBe("SUCCESS");
    const account = stack!.sim.stats().accounts[0]!;
    expect(account.interactionCount).toBe(2);
    const nonces = account.interactions.map((interaction) => interaction.nonce);
    expect(new Set(nonces).size).toBe(2);
    expect(nonces.every((nonce) => typeof nonce === "string" && nonce.length > 0)).toBe(true);
    expect(account.duplicateNonces).toBe(0);
  });

  it("'Pending mod message' fails the task and takes the account out of rotation", async () => {
    const task = await imagineAfterFailure("pending-mod");
    expect(task.status).toBe("FAILURE");
    expect(task.failReason).toMatch(/Pending mod message/);
    const accountId = stack!.accounts[0]!.id;
    const status = await waitFor("the account to be disabled", async () => {
      const current = await accountStatus(stack!, accountId);
      return current?.disabledReason ? current : undefined;
    });
    expect(status.disabledReason).toMatch(/Pending mod message/);
    // The API reads the registry through a cache of at most 500 ms (apps/api/src/submit/accounts.ts).
    await sleep(1_000);
    const next = await stack!.submit({ action: "IMAGINE", prompt: "a second windmill" });
    expect(next.status).toBe(503);
    expect(stack!.sim.stats().totals.interactions).toBe(1);
  });
});

describe("an account taken out of rotation", () => {
  it("tasks waiting behind the one that met 'Pending mod message' end at once, not at the timeout", async () => {
    stack = await startStack({ stepDelayMs: 10, account: { concurrency: 1 } });
    stack.sim.control.failNext(stack.sim.accounts[0]!, "pending-mod");
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push(await submitOk(stack, { action: "IMAGINE", prompt: `a pier, take ${n}` }));
    // Well inside the 60 s task timeout.
    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id, undefined, 20_000)));
    expect(tasks.map((task) => task.status)).toEqual(["FAILURE", "FAILURE", "FAILURE"]);
    expect(tasks[0].failReason).toMatch(/Pending mod message/);
    for (const task of tasks.slice(1))
      expect(task.failReason).toMatch(/^account disabled: .*Pending mod message/);
    expect(stack.sim.stats().totals.interactions).toBe(1);
  });
});

describe("Discord's rate limits", () => {
  it("a 429 with retry_after is waited out: SUCCESS with exactly one accepted interaction", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    stack.sim.control.rateLimitNext(stack.sim.accounts[0]!, { retryAfter: 0.3, count: 2 });
    const id = await submitOk(stack, { action: "IMAGINE", prompt: "a kite over the dunes" });
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("SUCCESS");
    const stats = stack.sim.stats();
    expect(stats.totals.rateLimited).toBeGreaterThanOrEqual(1);
    expect(stats.totals.interactions).toBe(1);
    expect(stats.totals.duplicateNonces).toBe(0);
  });

  it("a global 429 is waited out too", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    stack.sim.control.rateLimitNext("global", { retryAfter: 0.2 });
    const id = await submitOk(stack, { action: "IMAGINE", prompt: "a kite over the sea" });
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("SUCCESS");
    expect(stack.sim.stats().totals.interactions).toBe(1);
  });
});
