import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../../../apps/worker/test/harness.js";
import { keySpace } from "../../src/keys.js";
import { CLUSTER_TEST_PASSWORD, type LocalCluster, startLocalCluster } from "./local-cluster.js";

// This file gets a cluster of its own, with one replica per master, so a master may die.
let cluster: LocalCluster;
let stack: Stack;

beforeAll(async () => {
  cluster = await startLocalCluster(3, 1, CLUSTER_TEST_PASSWORD);
  process.env.REDIS_CLUSTER_NODES = cluster.seeds;
  process.env.REDIS_WAIT_REPLICAS = "1";
  // Room for a replica on a loaded machine: a WAIT that runs out refuses the submit (503).
  process.env.REDIS_WAIT_TIMEOUT_MS = "3000";
  stack = await startStack({
    timeoutMs: 30_000,
    account: { concurrency: 3, queueSize: 200, minIntervalMs: 0, jitterMs: 0 },
  });
});

afterAll(async () => {
  await stack?.close().catch(() => undefined);
  await cluster?.stop();
});

/** The port of the master serving `key`'s slot. */
async function masterPort(key: string): Promise<number> {
  const slot = await stack.redis.cluster("KEYSLOT", key);
  const ranges = await stack.redis.cluster("SLOTS");
  const range = ranges.find(([start, end]) => slot >= start && slot <= end)!;
  return range[2]![1];
}

describe("a master dies mid-run (3 masters, one replica each)", () => {
  it("loses no acknowledged task, every task ends, and clients see 503s, never 500s, during the election", async () => {
    const account = stack.accounts[0]!.id;
    // The master holding the account's queue: the worst one to lose.
    const victim = await masterPort(`${keySpace(stack.prefix).accountQueue(account)}`);
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let killedAt = -1;
    let slowest = 0;
    for (let i = 0; i < 60; i++) {
      if (i === 15) {
        cluster.kill(victim);
        killedAt = i;
      }
      const started = Date.now();
      const { status, body } = await stack.submit({ action: "IMAGINE", prompt: `harbour ${i}` });
      slowest = Math.max(slowest, Date.now() - started);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200 && body.code === 1) acknowledged.push(body.result as string);
      // Submits keep coming through the election (cluster-node-timeout 2 s) and after it.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(killedAt).toBe(15);
    console.log(
      `failover run: answers by status ${JSON.stringify(Object.fromEntries(statuses))}, slowest ${slowest} ms`,
    );
    expect([...statuses.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(15);

    const ended = new Map<string, number>();
    for (const id of acknowledged) {
      const task = await stack.waitForTask(
        id,
        (t) => t.status === "SUCCESS" || t.status === "FAILURE",
        120_000,
      );
      ended.set(task.status, (ended.get(task.status) ?? 0) + 1);
    }
    console.log(
      `failover run: acknowledged tasks by final status ${JSON.stringify(Object.fromEntries(ended))}`,
    );
    expect([...ended.values()].reduce((a, b) => a + b, 0)).toBe(acknowledged.length);
    // The replica took over: the dead master serves nothing any more.
    expect(await masterPort(keySpace(stack.prefix).accountQueue(account))).not.toBe(victim);
  }, 300_000);
});
