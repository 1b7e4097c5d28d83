// A server for `pnpm bench:api`: the gateway's API ("gateway") or a bare Fastify baseline ("baseline")
// doing the same Redis work the benchmark compares against. Prints its URL as one JSON line.
import { buildApi, limitHeapGrowth } from "@mjg/api";
import {
  AccountDirectory,
  connectRedis,
  decodeRecord,
  isCluster,
  keySpace,
  mjTask,
  newTaskId,
  newTaskRecord,
  redisReady,
} from "@mjg/shared";
import { Queue } from "bullmq";
import Fastify from "fastify";

const [mode = "gateway", prefix = "bench"] = process.argv.slice(2);
// Both servers with the API process's runtime settings, as apps/api/src/main.ts makes them.
limitHeapGrowth();
const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { failFast: true });
await redisReady(redis);
const keys = keySpace(prefix);

let url: string;
if (mode === "gateway") {
  await new AccountDirectory(redis, keys).put({
    id: "bench",
    enabled: true,
    disabledReason: null,
    concurrency: 3,
    // Room for every request of the run: the benchmark measures the API, not the 429 path.
    queueSize: 10_000_000,
    owner: null,
    gateway: "ready",
    lastError: null,
    updatedAt: Date.now(),
  });
  const { app } = await buildApi({ redis, keys, logger: false, timeoutMs: 600_000, retentionMs: 3_600_000 });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
} else {
  const app = Fastify({ logger: false });
  const queue = new Queue(keys.accountQueue("baseline"), { connection: redis, prefix: keys.prefix });
  app.post("/submit", async () => {
    const id = newTaskId();
    // The same record the gateway writes, so both move the same bytes.
    const record = newTaskRecord({
      _id: id,
      action: "IMAGINE",
      prompt: "a lighthouse at dawn --ar 3:2",
      promptEn: "a lighthouse at dawn --ar 3:2",
      state: null,
      notifyHook: null,
      index: null,
      parentId: null,
      accountId: "baseline",
      submitTime: Date.now(),
    });
    await redis.set(keys.task(id), JSON.stringify(record));
    await queue.add("task", { taskId: id }, { jobId: id, removeOnComplete: true });
    return { code: 1, description: "成功", result: id };
  });
  app.get("/fetch", async (request) => {
    const id = (request.query as { _id?: string })._id ?? "";
    return JSON.parse((await redis.get(keys.task(id))) ?? "null");
  });
  // The /mj reads: the same GET / MGET of the records and the same /mj Task JSON view.
  app.get("/mj-fetch/:id", async (request) => {
    const raw = await redis.get(keys.task((request.params as { id: string }).id));
    return raw === null ? null : mjTask(decodeRecord(raw));
  });
  app.post("/mj-list", async (request) => {
    const ids = (request.body as { ids: string[] }).ids;
    // Records live in different slots: one GET each on a Redis Cluster (REDIS_CLUSTER_NODES).
    const raws = isCluster(redis)
      ? await Promise.all(ids.map((id) => redis.get(keys.task(id))))
      : await redis.mget(ids.map((id) => keys.task(id)));
    return raws.flatMap((raw) => (raw === null ? [] : [mjTask(decodeRecord(raw))]));
  });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
}
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
process.on("message", (message) => {
  if (message === "rss") process.send?.({ rss: process.memoryUsage().rss });
});
process.on("SIGINT", () => process.exit(0));
