// `pnpm chaos`: fault injection over separate processes — a Redis of its own (AOF on, fsync always) on
// a free port, the simulator, 2 APIs and 3 workers. During CHAOS_TASKS tasks (imagines, and U1–U4 of
// finished ones, every one with a callback) it SIGKILLs a worker every 3–8 s, an API every ~20 s and
// Redis once, at moments drawn from CHAOS_SEED, restarting each. Then it waits for every task to end
// and prints: lost, duplicate sends, wrong results, stuck, timeouts (the send-window trade-off and the
// rest), missing callbacks, non-503 5xx, and the longest idle gap of any account. Exit code 1 when a
// target of issue 11 is missed.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "@mjg/discord-sim";
import { connectRedis, decodeRecord, keySpace, type TaskRecord } from "@mjg/shared";
import { chaosReport, type Interaction, meetsTargets, type Tracked } from "./chaos/report.js";

const TASKS = Number(process.env.CHAOS_TASKS ?? 300);
const LOG_DIR = process.env.CHAOS_LOG_DIR;
const SEED = Number(process.env.CHAOS_SEED ?? 11);
const RATE = Number(process.env.CHAOS_RATE ?? 4);
const ACCOUNTS = Number(process.env.CHAOS_ACCOUNTS ?? 4);
const WORKERS = 3;
const APIS = 2;
const TIMEOUT_MS = Number(process.env.CHAOS_TIMEOUT_MS ?? 60_000);
const STEP_DELAY_MS = Number(process.env.CHAOS_STEP_DELAY_MS ?? 150);
// The worker's default lease: the idle target is lease + 5 s.
const LEASE_MS = 10_000;
const prefix = "chaos";
const keys = keySpace(prefix);
const partPath = new URL("./chaos/part.ts", import.meta.url).pathname;

// Seeded: the same seed draws the same fault moments.
const random = createRng(SEED);
const between = (min: number, max: number) => min + random() * (max - min);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = (message: string) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}\n`);
const t0 = Date.now();

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- Redis of its own -------------------------------------------------------------------------
const redisPort = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), "mjg-chaos-"));
const redisUrl = `redis://127.0.0.1:${redisPort}`;
let redisServer: ChildProcess;
function startRedis(): ChildProcess {
  const child = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--appendonly", "yes"].concat([
      "--appendfsync",
      "always",
      "--save",
      "",
      "--protected-mode",
      "no",
    ]),
    { stdio: "ignore" },
  );
  return child;
}
redisServer = startRedis();
const redis = connectRedis(redisUrl, { name: "chaos" });
redis.on("error", () => undefined);
await redis.ping();

// ---- processes ----------------------------------------------------------------------------------
interface Part {
  child: ChildProcess;
  info: Record<string, unknown>;
}
let parts = 0;
function startPart(role: string, config: object): Promise<Part> {
  const child = spawn(process.execPath, ["--import", "tsx", partPath, role], {
    env: { ...process.env, CHAOS_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // CHAOS_LOG_DIR keeps each process's log lines (set LOG_LEVEL too) to look into a missed target.
  if (LOG_DIR) child.stdout!.pipe(createWriteStream(join(LOG_DIR, `${++parts}-${role}.log`)));
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk;
      const line = /^ready (.*)$/m.exec(out);
      if (!line) return;
      child.stdout!.off("data", onData);
      if (!LOG_DIR) child.stdout!.resume();
      resolve({ child, info: JSON.parse(line[1]!) });
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${role} exited (${code}) before ready`)));
  });
}
function kill(part: Part): Promise<void> {
  if (part.child.exitCode !== null || part.child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => part.child.once("exit", () => resolve()));
  part.child.kill("SIGKILL");
  return gone;
}

const sim = await startPart("sim", { accounts: ACCOUNTS, stepDelayMs: STEP_DELAY_MS, seed: SEED });
const simInfo = sim.info as {
  apiUrl: string;
  gatewayUrl: string;
  statsUrl: string;
  accounts: Array<{ id: string }>;
};
let workerCount = 0;
const workerConfig = () => ({
  redisUrl,
  prefix,
  accounts: simInfo.accounts,
  discord: { apiUrl: simInfo.apiUrl, gatewayUrl: simInfo.gatewayUrl },
  workerId: `chaos-worker-${++workerCount}`,
  timeoutMs: TIMEOUT_MS,
});
const apiConfig = { redisUrl, prefix, timeoutMs: TIMEOUT_MS };
const workers: Part[] = await Promise.all(
  Array.from({ length: WORKERS }, () => startPart("worker", workerConfig())),
);
const apis: Part[] = await Promise.all(Array.from({ length: APIS }, () => startPart("api", apiConfig)));
log(`redis :${redisPort}, simulator, ${APIS} APIs, ${WORKERS} workers, ${ACCOUNTS} accounts; seed ${SEED}`);

// ---- callbacks ----------------------------------------------------------------------------------
const callbacks = new Map<string, Set<string>>();
const hook: Server = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    try {
      const task = JSON.parse(body) as { _id?: string; id?: string; status?: string };
      const id = task._id ?? task.id;
      if (id && task.status) {
        const seen = callbacks.get(id) ?? new Set<string>();
        seen.add(task.status);
        callbacks.set(id, seen);
      }
    } catch {}
    response.end("ok");
  });
});
await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;

// ---- submissions --------------------------------------------------------------------------------
const tracked: Tracked[] = [];
const imagines: Tracked[] = [];
const upscaled = new Set<string>();
let serverErrors = 0;
let refused503 = 0;
let interrupted = 0;
let nextApi = 0;

/** Submits once; retries only where the request surely never reached an API (refused connection) or got 503. */
async function submit(fields: Record<string, string | number>): Promise<string | null> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const api = apis[nextApi++ % apis.length]!;
    const url = api.info.url as string;
    let response: Response;
    try {
      response = await fetch(`${url}/api/v1/trigger/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...fields, notifyHook: hookUrl }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === "ECONNREFUSED") {
        await sleep(100);
        continue;
      }
      // It may have reached the API: not tracked, never sent again.
      interrupted++;
      return null;
    }
    const body = (await response.json().catch(() => null)) as { code?: number; result?: string } | null;
    if (response.status === 503) {
      refused503++;
      await sleep(250);
      continue;
    }
    if (response.status >= 500) serverErrors++;
    if (response.status === 200 && typeof body?.result === "string" && body.code === 1) return body.result;
    if (response.status >= 500) await sleep(250);
    else return null;
  }
  return null;
}

async function submitting(): Promise<void> {
  const imagineCount = Math.ceil(TASKS * 0.6);
  let n = 0;
  const gap = 1_000 / RATE;
  while (tracked.length < TASKS) {
    const started = Date.now();
    // Upscales of imagines that ended in SUCCESS; imagines otherwise (and when none is ready yet).
    const parent = n >= imagineCount || random() < 0.4 ? await finishedImagine() : null;
    if (parent) {
      const index = 1 + Math.floor(random() * 4);
      const id = await submit({ action: "UPSCALE", taskId: parent.id, index });
      if (id) tracked.push({ id, token: parent.token });
    } else if (n < imagineCount) {
      const token = `chaos${SEED}x${n++}`;
      const id = await submit({ action: "IMAGINE", prompt: `a lighthouse ${token}` });
      if (id) {
        const entry = { id, token };
        tracked.push(entry);
        imagines.push(entry);
      }
    } else {
      await sleep(200);
    }
    await sleep(Math.max(0, gap - (Date.now() - started)));
  }
}

async function finishedImagine(): Promise<Tracked | null> {
  for (const entry of imagines) {
    if (upscaled.has(entry.id)) continue;
    const raw = await redis.get(keys.task(entry.id)).catch(() => null);
    if (raw && decodeRecord(raw).status === "SUCCESS") {
      upscaled.add(entry.id);
      return entry;
    }
  }
  return null;
}

// ---- faults -------------------------------------------------------------------------------------
let faultsOn = true;
const faults = { workers: 0, apis: 0, redis: 0 };
const restarts: Promise<void>[] = [];
const alive = (part: Part) => part.child.exitCode === null && part.child.signalCode === null;
async function killWorkers(): Promise<void> {
  while (faultsOn) {
    await sleep(between(3_000, 8_000));
    const living = workers.map((part, i) => [part, i] as const).filter(([part]) => alive(part));
    if (!faultsOn || living.length === 0) continue;
    const [victim, i] = living[Math.floor(random() * living.length)]!;
    log(`SIGKILL worker ${victim.info.workerId}`);
    await kill(victim);
    faults.workers++;
    // Restarted in the background: the next kill comes 3–8 s after this one, whatever the start-up takes.
    const restartIn = between(500, 2_000);
    restarts.push(
      sleep(restartIn).then(async () => {
        workers[i] = await startPart("worker", workerConfig());
      }),
    );
  }
}
async function killApis(): Promise<void> {
  while (faultsOn) {
    await sleep(between(15_000, 25_000));
    if (!faultsOn) break;
    const i = Math.floor(random() * apis.length);
    log(`SIGKILL API ${apis[i]!.info.url}`);
    const dead = apis[i]!;
    await kill(dead);
    faults.apis++;
    await sleep(1_000);
    apis[i] = await startPart("api", apiConfig);
  }
}
async function killRedisOnce(): Promise<void> {
  while (faultsOn && tracked.length < TASKS * 0.4) await sleep(200);
  if (!faultsOn) return;
  log("SIGKILL redis");
  await kill({ child: redisServer, info: {} });
  faults.redis++;
  await sleep(1_000);
  redisServer = startRedis();
  log("redis restarted (AOF replayed)");
}

const faultLoops = [killWorkers(), killApis(), killRedisOnce()];
await submitting();
faultsOn = false;
log(`all ${tracked.length} tasks submitted; faults stop`);
await Promise.all(faultLoops);
await Promise.all(restarts);

// ---- wait for every task to end ------------------------------------------------------------------
async function readRecords(ids: string[]): Promise<Map<string, TaskRecord | null>> {
  const records = new Map<string, TaskRecord | null>();
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const raws = await Promise.all(chunk.map((id) => redis.get(keys.task(id))));
    chunk.forEach((id, j) => {
      records.set(id, raws[j] ? decodeRecord(raws[j]!) : null);
    });
  }
  return records;
}
const waitUntil = Date.now() + TIMEOUT_MS + 20_000;
for (;;) {
  const records = await readRecords(tracked.map((task) => task.id));
  const open = [...records.values()].filter(
    (record) => record && !["SUCCESS", "FAILURE", "CANCEL"].includes(record.status),
  ).length;
  if (open === 0 || Date.now() > waitUntil) break;
  await sleep(1_000);
}
// Callbacks of the last tasks are on their way.
await sleep(3_000);

// ---- report -------------------------------------------------------------------------------------
const allIds: string[] = [];
let cursor = "0";
do {
  const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:task:{*}`, "COUNT", 1000);
  cursor = next;
  for (const key of found)
    if (/^chaos:task:\{[^}]+\}$/.test(key)) allIds.push(key.slice(`${prefix}:task:{`.length, -1));
} while (cursor !== "0");
const records = await readRecords(allIds);
for (const task of tracked) if (!records.has(task.id)) records.set(task.id, null);
const stats = (await (await fetch(simInfo.statsUrl)).json()) as {
  accounts: Array<{ id: string; interactions: Interaction[] }>;
  totals: { interactions: number; duplicateNonces: number };
};
const report = chaosReport({
  tracked,
  records,
  interactions: new Map(stats.accounts.map((account) => [account.id, account.interactions])),
  simDuplicateNonces: stats.totals.duplicateNonces,
  callbacks,
  serverErrors,
});

const lines = [
  `tasks acknowledged        ${report.tasks} (${report.success} SUCCESS); interactions ${stats.totals.interactions}`,
  `faults                    ${faults.workers} workers, ${faults.apis} APIs, ${faults.redis} Redis SIGKILLed`,
  `lost                      ${report.lost}`,
  `duplicate sends           ${report.duplicateSends}`,
  `wrong results             ${report.wrongResults}`,
  `stuck                     ${report.stuck}`,
  `timeouts (send window)    ${report.sendWindowTimeouts}`,
  `timeouts (other)          ${report.otherTimeouts}`,
  `other failures            ${JSON.stringify(report.otherFailures)}`,
  `missing callbacks         ${report.missingCallbacks}`,
  `5xx other than 503        ${report.serverErrors} (503s retried: ${refused503}; interrupted submits: ${interrupted})`,
  `longest account idle gap  ${(report.longestIdleMs / 1000).toFixed(1)} s (target < ${(LEASE_MS + 5_000) / 1000} s)${
    report.longestIdleAt
      ? `, ${report.longestIdleAt.accountId} until ${((report.longestIdleAt.endedAt - t0) / 1000).toFixed(1)}s`
      : ""
  }`,
];
process.stdout.write(`\n${lines.join("\n")}\n`);
const ok = meetsTargets(report, LEASE_MS);
if (LOG_DIR) {
  // What a missed target is made of: every task that did not end in SUCCESS, as stored.
  const sentNonces = new Set(stats.accounts.flatMap((account) => account.interactions.map((i) => i.nonce)));
  const unsuccessful = tracked
    .map(({ id }) => records.get(id))
    .filter((record) => record && record.status !== "SUCCESS")
    .map((record) => ({ ...record, nonceReachedDiscord: sentNonces.has(record!.discord.nonce) }));
  writeFileSync(join(LOG_DIR, "unsuccessful.json"), JSON.stringify(unsuccessful, null, 1));
}
process.stdout.write(ok ? "targets met\n" : "TARGETS MISSED\n");

// ---- tear down ----------------------------------------------------------------------------------
await Promise.all([...workers, ...apis, sim].map((part) => kill(part)));
hook.close();
redis.disconnect();
await kill({ child: redisServer, info: {} });
rmSync(redisDir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
