import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulator } from "../src/index.js";

/**
 * `pnpm bench:sim`: the simulator in this process, a minimal Discord client in a child process
 * (real sockets). Phase 1: imagine jobs/s end to end with 100 accounts at step delay 0.
 * Phase 2: RSS with 1,000 idle gateway connections.
 */
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const IDLE = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const sim = await startSimulator({ accounts: ACCOUNTS, stepDelayMs: 0, logger: false, seed: 1 });
const rssStart = process.memoryUsage().rss;

interface ClientResult {
  completed: number;
  seconds: number;
  jobsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  connections: number;
  simPeakRss: number;
}

function runClient(mode: "jobs" | "idle"): Promise<ClientResult> {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), "client.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: {
      ...process.env,
      BENCH_MODE: mode,
      BENCH_SECONDS: String(SECONDS),
      BENCH_IDLE_CONNECTIONS: String(IDLE),
      BENCH_API_URL: sim.apiUrl,
      BENCH_GATEWAY_URL: sim.gatewayUrl,
      // Simulator tokens only, handed to our own child process.
      BENCH_ACCOUNTS: JSON.stringify(
        sim.accounts.map((a) => ({ token: a.token, guildId: a.guildId, channelId: a.channelId })),
      ),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  return new Promise((ok, fail) => {
    const peaks = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 200);
    let peak = 0;
    child.on("exit", (code) => {
      clearInterval(peaks);
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{"))
        return fail(new Error(`bench client failed (${code}): ${out}`));
      ok({ ...JSON.parse(line), simPeakRss: peak });
    });
  });
}

console.log(`node ${process.version}, ${ACCOUNTS} accounts, step delay 0, ${SECONDS}s run`);
// Idle connections first, on a fresh simulator, so job history does not count against them.
const idle = await runClient("idle");
console.log(
  `${idle.connections} idle gateway connections: sim RSS ${mb(process.memoryUsage().rss)} ` +
    `(at start ${mb(rssStart)}, peak ${mb(idle.simPeakRss!)}); connections stay open only for this phase`,
);
const jobs = await runClient("jobs");
const st = sim.stats();
console.log(
  `imagine end to end: ${jobs.completed} jobs in ${jobs.seconds.toFixed(1)}s = ${jobs.jobsPerSecond.toFixed(0)} jobs/s ` +
    `(p50 ${jobs.p50Ms.toFixed(1)} ms, p99 ${jobs.p99Ms.toFixed(1)} ms per job); sim completed ${st.totals.completedJobs}, ` +
    `duplicates ${st.totals.duplicateNonces}; sim peak RSS ${mb(jobs.simPeakRss!)}`,
);
await sim.close();
