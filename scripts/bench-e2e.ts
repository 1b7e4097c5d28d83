// `pnpm bench:e2e`: API + worker + simulator as separate processes at step delay 0, N accounts,
// M tasks: the /mj mix of scripts/bench/mix.ts (BENCH_WORKLOAD=mix, default) or seed IMAGINEs only
// (BENCH_WORKLOAD=imagine). Prints tasks/s from first submit to last SUCCESS, CPU-ms per task over all
// processes, Redis bytes per finished task, lost tasks, duplicate interactions and pacing violations.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { connectRedis, isCluster, keySpace, scanKeys, scanTargets, TaskStore } from "@mjg/shared";
import { dropPrefix } from "@mjg/shared/testing";
import { runMix } from "./bench/mix.js";

const TASKS = Number(process.env.BENCH_TASKS ?? 2000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10);
const MIN_INTERVAL_MS = Number(process.env.BENCH_MIN_INTERVAL_MS ?? 10);
const SUBMIT_CONCURRENCY = 50;
const WORKLOAD = process.env.BENCH_WORKLOAD ?? "mix";
const prefix = `bench-e2e-${process.pid}`;

function part(role: string, config: object): ChildProcess {
  return fork(new URL("./bench/e2e-part.ts", import.meta.url).pathname, [role], {
    // BENCH_PROFILE=api,worker writes a CPU profile of those parts to BENCH_PROFILE_DIR (default .).
    execArgv: [
      "--import",
      "tsx",
      ...(process.env.BENCH_PROFILE?.split(",").includes(role)
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? "."}`]
        : []),
    ],
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

// REDIS_CLUSTER_NODES set: every process of the run, this one included, works on that cluster.
const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const store = new TaskStore({ redis, keys: keySpace(prefix), retentionMs: 3_600_000, timeoutMs: 600_000 });
type Usage = { usage: { cpu: { user: number; system: number }; rss: number } };
// CPU counted from here: start-up (TypeScript compiled on the fly) is not the run's.
const cpuBefore = await Promise.all([sim, worker, api].map((child) => ask<Usage>(child, "stats", "stats")));
const started = Date.now();
let ids: string[] = [];
let refused = 0;
let failed = 0;
let lost = 0;
let mixCounts = "";
if (WORKLOAD === "mix") {
  const mix = await runMix({
    url,
    store,
    total: TASKS,
    concurrency: SUBMIT_CONCURRENCY,
    deadlineMs: 10 * 60_000,
  });
  ({ ids, refused, failed, lost } = mix);
  mixCounts = Object.entries(mix.counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
} else {
  ({ ids, refused, failed, lost } = await imagineOnly());
}

async function imagineOnly() {
  const accepted: string[] = [];
  let refusedCount = 0;
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
        if (body.code === 1 && body.result) accepted.push(body.result);
        else refusedCount++;
      }
    }),
  );
  const pending = new Set(accepted);
  let failedCount = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (pending.size > 0 && Date.now() < deadline) {
    const list = [...pending];
    for (let i = 0; i < list.length; i += 500) {
      const chunk = list.slice(i, i + 500);
      const records = await store.getMany(chunk);
      records.forEach((record, j) => {
        const status = record?.status ?? "MISSING";
        if (status === "SUCCESS" || status === "FAILURE") {
          if (status === "FAILURE") failedCount++;
          pending.delete(chunk[j]!);
        }
      });
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ids: accepted, refused: refusedCount, failed: failedCount, lost: pending.size };
}
const finished = Date.now();

let bytes = 0;
// Where the bytes go: key names with ids and hash tags folded into one kind each.
const bytesByKind = new Map<string, number>();
for await (const keys of scanKeys(redis, `${prefix}:*`)) {
  for (const key of keys) {
    const size = Number((await redis.memory("USAGE", key)) ?? 0);
    bytes += size;
    const kind = key
      .slice(prefix.length + 1)
      .replace(/\{[^}]*\}/g, "{…}")
      .replace(/:\d+$/, ":<n>");
    bytesByKind.set(kind, (bytesByKind.get(kind) ?? 0) + size);
  }
}

const simStats = await ask<
  Usage & {
    stats: {
      accounts: { interactions: { at: number }[]; duplicateNonces: number; maxConcurrentJobs: number }[];
    };
  }
>(sim, "stats", "stats");
const workerStats = await ask<Usage>(worker, "stats", "stats");
const apiStats = await ask<Usage>(api, "stats", "stats");
const cpuOf = (s: Usage) => (s.usage.cpu.user + s.usage.cpu.system) / 1000;
const runCpuMs = (after: Usage, i: number) => cpuOf(after) - cpuOf(cpuBefore[i]!);
const cpuMs = [simStats, workerStats, apiStats].reduce((sum, s, i) => sum + runCpuMs(s, i), 0);
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
  `\n${new Date().toISOString().slice(0, 10)} bench:e2e — ${TASKS} tasks (${WORKLOAD === "mix" ? `mix: ${mixCounts}` : "IMAGINE"}), ${ACCOUNTS} accounts, step delay 0, pacing ${MIN_INTERVAL_MS} ms`,
);
console.log(
  `tasks/s (first submit → last end): ${(ids.length / seconds).toFixed(1)}  (${seconds.toFixed(1)} s)`,
);
console.log(`Redis: ${isCluster(redis) ? `cluster (${process.env.REDIS_CLUSTER_NODES})` : "single"}`);
if (isCluster(redis)) {
  // How the run's task records spread over the masters (the key layout aims at an even spread).
  const perMaster: number[] = [];
  for (const node of scanTargets(redis)) {
    let count = 0;
    for await (const keys of scanKeys(node, `${prefix}:task:*`))
      count += keys.filter((key) => key.endsWith("}")).length;
    perMaster.push(count);
  }
  const mean = perMaster.reduce((a, b) => a + b, 0) / perMaster.length;
  const spread = perMaster.map((count) => `${count} (${(((count - mean) / mean) * 100).toFixed(0)}%)`);
  console.log(`task records per master: ${spread.join(", ")}`);
}
const perTask = (s: Usage, i: number) => (runCpuMs(s, i) / ids.length).toFixed(2);
console.log(
  `CPU-ms per task (sim + worker + api): ${(cpuMs / ids.length).toFixed(2)} (sim ${perTask(simStats, 0)}, worker ${perTask(workerStats, 1)}, api ${perTask(apiStats, 2)})`,
);
console.log(`Redis bytes per finished task: ${(bytes / ids.length).toFixed(0)}`);
const heaviest = [...bytesByKind].sort((a, b) => b[1] - a[1]).slice(0, 6);
console.log(
  `  of which: ${heaviest.map(([kind, size]) => `${kind} ${(size / ids.length).toFixed(0)}`).join(", ")}`,
);
console.log(
  `accepted ${ids.length}, refused ${refused}, failed ${failed}, lost ${lost}, duplicate interactions ${duplicates}, pacing violations ${violations}, max concurrent jobs per account ${maxConcurrent}`,
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
