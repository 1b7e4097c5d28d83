import { afterAll, describe, expect, it } from "vitest";
import { newNumericTaskId } from "../../src/ids.js";
import { INDEX_SHARDS, keySpace } from "../../src/keys.js";
import { connectRedis, isCluster, redisReady, scanKeys, scanTargets } from "../../src/redis.js";
import { indexedTaskCount, TaskStore } from "../../src/store.js";
import { dropPrefix, testRecord, testRedis, uniquePrefix } from "../../src/testing.js";

const redis = testRedis();
const prefix = uniquePrefix("cluster");
const keys = keySpace(prefix);
afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function task(submitTime: number) {
  return testRecord({ _id: newNumericTaskId(), prompt: "p", submitTime });
}

async function slotOwners(): Promise<{ start: number; end: number; port: number }[]> {
  const slots = await redis.cluster("SLOTS");
  return slots.map(([start, end, master]) => ({ start, end, port: master![1] }));
}

async function masterOf(key: string): Promise<number> {
  const slot = (await redis.cluster("KEYSLOT", key)) as number;
  return (await slotOwners()).find((range) => slot >= range.start && slot <= range.end)!.port;
}

describe("the gateway on a Redis Cluster", () => {
  it("connects to the cluster from REDIS_CLUSTER_NODES alone, whatever URL it is handed", async () => {
    expect(process.env.REDIS_CLUSTER_NODES).toBeTruthy();
    const client = connectRedis("redis://127.0.0.1:1", { failFast: true });
    await redisReady(client);
    expect(isCluster(client)).toBe(true);
    expect(scanTargets(client)).toHaveLength(3);
    expect(await client.set(`${prefix}:probe`, "1")).toBe("OK");
    client.disconnect();
  });

  it("spreads task records and index shards over every master, each within 20 % of the mean", async () => {
    const store = new TaskStore({ redis, keys, retentionMs: 3_600_000, timeoutMs: 600_000 });
    const now = Date.now();
    const count = 10_000;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(task(now + i + j))));
    }
    expect(await indexedTaskCount(redis, keys)).toBe(count);
    const perMaster = new Map<string, number>();
    for (const node of scanTargets(redis)) {
      let found = 0;
      let cursor = "0";
      do {
        const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}:task:*`, "COUNT", 1000);
        cursor = next;
        found += batch.length;
      } while (cursor !== "0");
      perMaster.set(`${node.options.port}`, found);
    }
    const mean = count / perMaster.size;
    console.log(
      `task records per master after ${count} tasks: ${JSON.stringify(Object.fromEntries(perMaster))}`,
    );
    for (const found of perMaster.values()) expect(Math.abs(found - mean) / mean).toBeLessThan(0.2);
    const shardMasters = await Promise.all(
      Array.from({ length: INDEX_SHARDS }, (_, shard) => masterOf(keys.taskIndex(shard))),
    );
    const shardsPerMaster = [...new Set(shardMasters)].map(
      (port) => shardMasters.filter((p) => p === port).length,
    );
    expect(shardsPerMaster.sort()).toEqual([5, 5, 6]);
  });

  it("finds every key of a prefix, master by master", async () => {
    const found: string[] = [];
    for await (const batch of scanKeys(redis, `${prefix}:task:*`)) found.push(...batch);
    expect(found.length).toBeGreaterThanOrEqual(10_000);
  });

  it("delivers operator events published on one node to a subscriber on another", async () => {
    const subscriber = redis.duplicate();
    const received: string[] = [];
    subscriber.on("message", (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(keys.accountEvents);
    const publisher = connectRedis("redis://unused", { failFast: true });
    await redisReady(publisher);
    for (let i = 0; i < 20 && received.length === 0; i++) {
      await publisher.publish(keys.accountEvents, "enable:a1");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(received).toContain("enable:a1");
    subscriber.disconnect();
    publisher.disconnect();
  });
});
