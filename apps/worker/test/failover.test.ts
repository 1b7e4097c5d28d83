import { keySpace, type TaskRecord } from "@mjg/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";
import { accountStatus, readyWithholdingRelay, sleep, submitOk, waitFor } from "./helpers.js";

let stack: Stack | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The full record as the worker keeps it (with its account and Discord bookkeeping). */
async function storedRecord(s: Stack, taskId: string): Promise<TaskRecord> {
  return JSON.parse((await s.redis.get(keySpace(s.prefix).task(taskId)))!) as TaskRecord;
}

/** Samples which workers run each account, and remembers the most that ever ran one at once. */
function watchOwners(s: Stack): { most(): number; stop(): void } {
  let most = 0;
  const timer = setInterval(() => {
    for (const account of s.accounts) {
      const owners = s.workers.filter((worker) => worker.owner.runtimes.has(account.id)).length;
      most = Math.max(most, owners);
    }
  }, 10);
  return { most: () => most, stop: () => clearInterval(timer) };
}

describe("an account whose gateway never becomes ready", () => {
  it("is reported while the healthy account beside it keeps its lease and keeps working, never with two owners", async () => {
    stack = await startStack({ workers: 0, simAccounts: 2, stepDelayMs: 20, timeoutMs: 15_000 });
    const [stuck, healthy] = stack.accounts as [(typeof stack.accounts)[0], (typeof stack.accounts)[0]];
    const relay = await readyWithholdingRelay(stack.sim.gatewayUrl, stuck.token);
    cleanups.push(relay.close);
    const discord = { apiUrl: stack.sim.apiUrl, gatewayUrl: relay.url };
    const owners = watchOwners(stack);
    cleanups.push(async () => owners.stop());
    await stack.startWorker({ workerId: "first", discord, gatewayReadyTimeoutMs: 1_000 });
    await stack.startWorker({ workerId: "second", discord, gatewayReadyTimeoutMs: 1_000 });
    const leaseKey = keySpace(stack.prefix).accountLease(healthy.id);
    await waitFor("each worker to own one account", () =>
      stack!.workers.every((worker) => worker.owner.runtimes.size === 1),
    );
    const healthyOwner = await stack.redis.get(leaseKey);

    // Over three lease periods, the healthy account keeps finishing the tasks routed to it.
    const until = Date.now() + 9_000;
    let finishedOnHealthy = 0;
    while (Date.now() < until) {
      const id = await submitOk(stack, { action: "IMAGINE", prompt: `a lighthouse at ${Date.now()}` });
      if ((await storedRecord(stack, id)).accountId !== healthy.id) {
        await sleep(200);
        continue;
      }
      expect((await stack.waitForTask(id)).status).toBe("SUCCESS");
      finishedOnHealthy++;
    }
    expect(finishedOnHealthy).toBeGreaterThan(0);
    expect(await stack.redis.get(leaseKey)).toBe(healthyOwner);
    const status = await accountStatus(stack, stuck.id);
    expect(status?.lastError).toMatch(/gateway not ready/);
    expect(relay.withheld()).toBeGreaterThan(0);
    expect(owners.most()).toBe(1);
  });
});
