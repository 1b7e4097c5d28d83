// One process of `pnpm chaos`: the simulator, an API or a worker. Config from CHAOS_CONFIG (JSON);
// says `ready <json>` on stdout once it serves. Workers and APIs are SIGKILLed by the parent.
import { buildApi } from "@mjg/api";
import { startSimulator } from "@mjg/discord-sim";
import { notifyEnv, notifySettings } from "@mjg/notify";
import { connectRedis, createLogger, keySpace, parseEnv, redisReady } from "@mjg/shared";
import { simulatedAccounts, startWorker } from "@mjg/worker";

const role = process.argv[2];
const config = JSON.parse(process.env.CHAOS_CONFIG ?? "{}");
const say = (message: unknown) => process.stdout.write(`ready ${JSON.stringify(message)}\n`);
let close: () => Promise<void> = async () => {};

if (role === "sim") {
  const sim = await startSimulator({
    accounts: Array.from({ length: config.accounts }, () => ({ concurrency: 3, queueSize: 1_000 })),
    stepDelayMs: config.stepDelayMs,
    progressSteps: [0, 25, 50, 75],
    seed: config.seed,
    logger: false,
  });
  close = () => sim.close();
  const server = (await import("node:http")).createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(sim.stats()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const accounts = simulatedAccounts(sim);
  say({ apiUrl: sim.apiUrl, gatewayUrl: sim.gatewayUrl, statsUrl: `http://127.0.0.1:${port}/`, accounts });
} else if (role === "worker") {
  const worker = await startWorker({
    redisUrl: config.redisUrl,
    keys: keySpace(config.prefix),
    accounts: config.accounts,
    discord: config.discord,
    notify: notifySettings(
      parseEnv(notifyEnv, { NOTIFY_ALLOW_PRIVATE: "true", NOTIFY_BACKOFF_SECONDS: "0.5,1,2,4,8" }),
    ),
    logger: createLogger("chaos-worker", process.env.LOG_LEVEL ?? "silent"),
    workerId: config.workerId,
    timeoutMs: config.timeoutMs,
    retentionMs: 3_600_000,
  });
  close = () => worker.close();
  say({ workerId: worker.workerId });
} else if (role === "api") {
  const redis = connectRedis(config.redisUrl, { failFast: true });
  await redisReady(redis, 60_000);
  const { app } = await buildApi({
    redis,
    keys: keySpace(config.prefix),
    logger: false,
    timeoutMs: config.timeoutMs,
    retentionMs: 3_600_000,
    notifyAllowPrivate: true,
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  close = async () => {
    await app.close();
    redis.disconnect();
  };
  say({ url });
}

process.once("SIGTERM", async () => {
  await close().catch(() => undefined);
  process.exit(0);
});
