// One process of `pnpm bench:e2e`: the simulator, a worker or the API. Talks to the parent over IPC.
import { buildApi } from "@mjg/api";
import { startSimulator } from "@mjg/discord-sim";
import { notifyEnv, notifySettings } from "@mjg/notify";
import {
  type AccountConfig,
  AccountDirectory,
  connectRedis,
  createLogger,
  keySpace,
  parseEnv,
  redisReady,
} from "@mjg/shared";
import { startWorker } from "@mjg/worker";

const role = process.argv[2];
const config = JSON.parse(process.env.BENCH_CONFIG ?? "{}");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const keys = keySpace(config.prefix);
const send = (message: unknown) => process.send?.(message);
const usage = () => ({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });

let stats: () => unknown = () => null;
let close: () => Promise<void> = async () => {};

if (role === "sim") {
  const sim = await startSimulator({
    accounts: Array.from({ length: config.accounts }, () => ({ concurrency: 3, queueSize: 10_000 })),
    stepDelayMs: 0,
    logger: false,
  });
  stats = () => sim.stats();
  close = () => sim.close();
  send({ ready: { apiUrl: sim.apiUrl, gatewayUrl: sim.gatewayUrl, accounts: sim.accounts } });
} else if (role === "worker") {
  const accounts: AccountConfig[] = config.sim.accounts.map((account: AccountConfig) => ({
    id: `bench${account.id}`,
    token: account.token,
    guildId: account.guildId,
    channelId: account.channelId,
    concurrency: account.concurrency,
    // Room for the whole run: the benchmark measures throughput, not the 429 path.
    queueSize: 100_000,
    enabled: true,
    minIntervalMs: config.minIntervalMs,
    jitterMs: 0,
  }));
  const worker = await startWorker({
    redisUrl,
    keys,
    accounts,
    discord: { apiUrl: config.sim.apiUrl, gatewayUrl: config.sim.gatewayUrl },
    notify: notifySettings(parseEnv(notifyEnv, { NOTIFY_ALLOW_PRIVATE: "true" })),
    logger: createLogger("bench-worker", "warn"),
    timeoutMs: 600_000,
    retentionMs: 3_600_000,
  });
  close = () => worker.close();
  send({ ready: { workerId: worker.workerId } });
} else if (role === "api") {
  const redis = connectRedis(redisUrl, { failFast: true });
  await redisReady(redis);
  const { app } = await buildApi({ redis, keys, logger: false, timeoutMs: 600_000, retentionMs: 3_600_000 });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  // Workers register accounts; wait until all are there so submissions spread over them.
  const directory = new AccountDirectory(redis, keys);
  while ((await directory.list()).length < config.accounts) await new Promise((r) => setTimeout(r, 100));
  close = async () => {
    await app.close();
    redis.disconnect();
  };
  send({ ready: { url } });
}

process.on("message", async (message: string) => {
  if (message === "stats") send({ stats: stats(), usage: usage() });
  if (message === "close") {
    await close();
    send({ closed: true });
    process.exit(0);
  }
});
