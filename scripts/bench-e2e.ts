// `pnpm bench:e2e`: API + worker + simulator as separate processes at step delay 0, N accounts,
// M IMAGINE tasks. Prints tasks/s from first submit to last SUCCESS, CPU-ms per task over all
// processes, Redis bytes per finished task, lost tasks, duplicate interactions and pacing violations.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { connectRedis } from "@mjg/shared";
import { dropPrefix } from "@mjg/shared/testing";

const TASKS = Number(process.env.BENCH_TASKS ?? 2000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10);
const MIN_INTERVAL_MS = Number(process.env.BENCH_MIN_INTERVAL_MS ?? 10);
const SUBMIT_CONCURRENCY = 50;
const prefix = `bench-e2e-${process.pid}`;

function part(role: string, config: object): ChildProcess {
  return fork(new URL("./bench/e2e-part.ts", import.meta.url).pathname, [role], {
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      BENCH_CONFIG: JSON.stringify({ prefix, accounts: ACCOUNTS, minIntervalMs: MIN_INTERVAL_MS, ...config }),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

async function ask<T>(child: ChildProcess, question: string, key: string): Promise<T> {
  child.send(question);
  for (;;) {
    const [message] = (await once(child, "message")) as [Record<string, unknown>];
    if (key in message) return message as T;
  }
}

async function ready<T>(child: ChildProcess): Promise<T> {
  for (;;) {
    const [message] = (await once(child, "message")) as [{ ready?: T }];
    if (message.ready) return message.ready;
  }
}

const sim = part("sim", {});
const simInfo = await ready<{ apiUrl: string; gatewayUrl: string; accounts: unknown[] }>(sim);
const worker = part("worker", { sim: simInfo });
await ready(worker);
const api = part("api", {});
const { url } = await ready<{ url: string }>(api);

const started = Date.now();
const ids: string[] = [];
let refused = 0;
let next = 0;
await Promise.all(
  Array.from({ length: SUBMIT_CONCURRENCY }, async () => {
    while (next < TASKS) {
      const n = next++;
      const response = await fetch(`${url}/api/v1/trigger/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "IMAGINE", prompt: `benchmark lighthouse ${n} --ar 3:2` }),
      });
      const body = (await response.json()) as { code: number; result?: string };
      if (body.code === 1 && body.result) ids.push(body.result);
      else refused++;
    }
  }),
);
const submitted = Date.now();

const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const pending = new Set(ids);
let failed = 0;
const deadline = Date.now() + 10 * 60_000;
while (pending.size > 0 && Date.now() < deadline) {
  const list = [...pending];
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500);
    const raws = await redis.mget(chunk.map((id) => `${prefix}:task:{${id}}`));
    raws.forEach((raw, j) => {
      const status = raw ? (JSON.parse(raw) as { status: string }).status : "MISSING";
      if (status === "SUCCESS" || status === "FAILURE") {
        if (status === "FAILURE") failed++;
        pending.delete(chunk[j]!);
      }
    });
  }
  if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}
const finished = Date.now();

let bytes = 0;
let cursor = "0";
do {
  const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
  cursor = nextCursor;
  for (const key of keys) bytes += Number((await redis.memory("USAGE", key)) ?? 0);
} while (cursor !== "0");

type Usage = { usage: { cpu: { user: number; system: number }; rss: number } };
const simStats = await ask<
  Usage & {
    stats: {
      accounts: { interactions: { at: number }[]; duplicateNonces: number; maxConcurrentJobs: number }[];
    };
  }
>(sim, "stats", "stats");
const workerStats = await ask<Usage>(worker, "stats", "stats");
const apiStats = await ask<Usage>(api, "stats", "stats");
const cpuMs = [simStats, workerStats, apiStats].reduce(
  (sum, s) => sum + (s.usage.cpu.user + s.usage.cpu.system) / 1000,
  0,
);
let violations = 0;
let duplicates = 0;
let maxConcurrent = 0;
for (const account of simStats.stats.accounts) {
  duplicates += account.duplicateNonces;
  maxConcurrent = Math.max(maxConcurrent, account.maxConcurrentJobs);
  const times = account.interactions.map((i) => i.at).sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! < MIN_INTERVAL_MS - 2) violations++;
}

const seconds = (finished - started) / 1000;
console.log(
  `\n${new Date().toISOString().slice(0, 10)} bench:e2e — ${TASKS} IMAGINE tasks, ${ACCOUNTS} accounts, step delay 0, pacing ${MIN_INTERVAL_MS} ms`,
);
console.log(
  `tasks/s (first submit → last end): ${(ids.length / seconds).toFixed(1)}  (${seconds.toFixed(1)} s; submitting took ${((submitted - started) / 1000).toFixed(1)} s)`,
);
console.log(`CPU-ms per task (sim + worker + api): ${(cpuMs / ids.length).toFixed(2)}`);
console.log(`Redis bytes per finished task: ${(bytes / ids.length).toFixed(0)}`);
console.log(
  `accepted ${ids.length}, refused ${refused}, failed ${failed}, lost ${pending.size}, duplicate interactions ${duplicates}, pacing violations ${violations}, max concurrent jobs per account ${maxConcurrent}`,
);
console.log(
  `RSS MB: sim ${(simStats.usage.rss / 2 ** 20).toFixed(0)}, worker ${(workerStats.usage.rss / 2 ** 20).toFixed(0)}, api ${(apiStats.usage.rss / 2 ** 20).toFixed(0)}`,
);

for (const child of [api, worker, sim]) {
  child.send("close");
  await Promise.race([once(child, "exit"), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  child.kill("SIGKILL");
}
await dropPrefix(redis, prefix);
redis.disconnect();
