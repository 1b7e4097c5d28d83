// `pnpm bench:api`: the seed API's submit, submit-batch and fetch, and the /mj reads (list-by-condition
// with 20 ids, fetch), under autocannon, each beside a bare Fastify baseline doing the same Redis work,
// in the same run (alternating rounds, medians); then BENCH_STREAMS open event streams on the API
// process. Prints req/s, latency, RSS and the ratio. BENCH_PARTS=submit,batch,fetch,mj,streams picks parts.
// Both servers run as production runs the API: bundled by `pnpm build`'s bundler, under plain node.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { connectRedis } from "@mjg/shared";
import { dropPrefix } from "@mjg/shared/testing";
import autocannon from "autocannon";
import { benchStreams } from "./bench/streams.js";
import { bundle } from "./build.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const prefix = `bench-api-${process.pid}`;
/** Alternating rounds of the /mj read comparisons (medians reported). */
const PAIRED_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Ids per `list-by-condition` call, as a new-api poller batch. */
const LIST_IDS = 20;
/** Tasks per submit-batch request, and the connections sending them. */
const BATCH_SIZE = 100;
const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 2);
/** Event streams held open on the API process at once. */
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10_000);
const PARTS = new Set((process.env.BENCH_PARTS ?? "submit,batch,fetch,mj,streams").split(","));

interface Server {
  url: string;
  child: ChildProcess;
}

// Beside the API's own bundle, so that it loads the API's dependencies.
const SERVER_BUNDLE = "apps/api/dist/bench-server.js";
await bundle("scripts/bench/api-server.ts", SERVER_BUNDLE);

async function startServer(mode: "gateway" | "baseline"): Promise<Server> {
  const child = fork(new URL(`../${SERVER_BUNDLE}`, import.meta.url).pathname, [mode, `${prefix}-${mode}`], {
    execArgv: [],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  return { url: JSON.parse(line.toString()).url, child };
}

async function rss(server: Server): Promise<number> {
  server.child.send("rss");
  const [message] = (await once(server.child, "message")) as [{ rss: number }];
  return message.rss;
}

async function load(options: autocannon.Options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}

type Figures = Awaited<ReturnType<typeof load>>;

/**
 * Baseline and gateway in alternating short rounds (the order flipping each round), medians kept:
 * on a shared machine, load that comes and goes then weighs on both sides alike.
 */
async function paired(base: autocannon.Options, gateway: autocannon.Options): Promise<[Figures, Figures]> {
  const rounds = Math.max(1, PAIRED_ROUNDS);
  const duration = Math.max(1, Math.round(DURATION / rounds));
  const runs: [Figures[], Figures[]] = [[], []];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) runs[side]!.push(await load({ duration, ...(side === 0 ? base : gateway) }));
  }
  return [median(runs[0]), median(runs[1])];
}

function median(runs: Figures[]): Figures {
  const middle = <T>(values: T[], key: (value: T) => number) =>
    key([...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)]!);
  return {
    rps: middle(runs, (run) => run.rps),
    p50: middle(runs, (run) => run.p50),
    p99: middle(runs, (run) => run.p99),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

async function seedTask(url: string, path: string, method: "GET" | "POST"): Promise<string> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "POST" ? JSON.stringify({ action: "IMAGINE", prompt: "bench" }) : undefined,
  });
  return ((await response.json()) as { result: string }).result;
}

const gateway = await startServer("gateway");
const baseline = await startServer("baseline");
const rows: string[] = [];
const notes: string[] = [];
try {
  const body = JSON.stringify({ action: "IMAGINE", prompt: "a lighthouse at dawn --ar 3:2" });
  const headers = { "content-type": "application/json" };
  const line = (name: string, r: Figures, base?: Figures, unit = 1) =>
    `| ${name} | ${(r.rps * unit).toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${base ? ((r.rps * unit) / base.rps).toFixed(2) : "—"} |`;
  rows.push(
    "| run | req/s (tasks/s for batches) | p50 ms | p99 ms | errors | ratio to baseline |",
    "|---|---|---|---|---|---|",
  );
  // Both servers warm up on the routes measured first (JIT, connection pools), unrecorded.
  const WARM_UP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
  if (WARM_UP > 0) {
    await load({ url: `${baseline.url}/submit`, method: "POST", body, headers, duration: WARM_UP });
    await load({
      url: `${gateway.url}/api/v1/trigger/submit`,
      method: "POST",
      body,
      headers,
      duration: WARM_UP,
    });
  }
  if (PARTS.has("submit") || PARTS.has("batch")) {
    const [submitBase, submitGw] = await paired(
      { url: `${baseline.url}/submit`, method: "POST", body, headers },
      { url: `${gateway.url}/api/v1/trigger/submit`, method: "POST", body, headers },
    );
    rows.push(
      line("baseline submit (SET + BullMQ add)", submitBase),
      line("POST /api/v1/trigger/submit", submitGw, submitBase),
    );
    if (PARTS.has("batch")) {
      const tasks = Array.from({ length: BATCH_SIZE }, () => JSON.parse(body));
      // Single submits and batches in alternating rounds: the ratio is the batch's task rate over the single one's.
      const [single, batched] = await paired(
        { url: `${gateway.url}/api/v1/trigger/submit`, method: "POST", body, headers },
        {
          url: `${gateway.url}/api/v1/trigger/submit-batch`,
          method: "POST",
          body: JSON.stringify({ tasks }),
          headers,
          connections: BATCH_CONNECTIONS,
        },
      );
      rows.push(
        line("POST /api/v1/trigger/submit (tasks/s, beside batches)", single),
        line(
          `POST /api/v1/trigger/submit-batch (${BATCH_SIZE} tasks, ${BATCH_CONNECTIONS} connections; ratio to single submits)`,
          batched,
          single,
          BATCH_SIZE,
        ),
      );
    }
  }
  const baseId = await seedTask(baseline.url, "/submit", "POST");
  const gwId = await seedTask(gateway.url, "/api/v1/trigger/submit", "POST");
  if (PARTS.has("fetch")) {
    const [fetchBase, fetchGw] = await paired(
      { url: `${baseline.url}/fetch?_id=${baseId}` },
      { url: `${gateway.url}/api/v1/task/fetch?_id=${gwId}` },
    );
    rows.push(line("baseline fetch (GET)", fetchBase), line("GET /api/v1/task/fetch", fetchGw, fetchBase));
  }
  if (PARTS.has("mj")) {
    // The /mj reads new-api and DOOY poll: list-by-condition with 20 ids, and fetch of one.
    const ids = async (url: string, path: string) => {
      const created: string[] = [];
      for (let i = 0; i < LIST_IDS; i++) created.push(await seedTask(url, path, "POST"));
      return created;
    };
    const baseIds = await ids(baseline.url, "/submit");
    const gwIds = await ids(gateway.url, "/api/v1/trigger/submit");
    const [listBase, listGw] = await paired(
      { url: `${baseline.url}/mj-list`, method: "POST", body: JSON.stringify({ ids: baseIds }), headers },
      {
        url: `${gateway.url}/mj/task/list-by-condition`,
        method: "POST",
        body: JSON.stringify({ ids: gwIds }),
        headers,
      },
    );
    const [mjFetchBase, mjFetchGw] = await paired(
      { url: `${baseline.url}/mj-fetch/${baseId}` },
      { url: `${gateway.url}/mj/task/${gwId}/fetch` },
    );
    rows.push(
      line(`baseline /mj list (MGET of ${LIST_IDS})`, listBase),
      line(`POST /mj/task/list-by-condition (${LIST_IDS} ids)`, listGw, listBase),
      line("baseline /mj fetch (GET)", mjFetchBase),
      line("GET /mj/task/{id}/fetch", mjFetchGw, mjFetchBase),
    );
  }
  const gatewayRss = await rss(gateway);
  if (PARTS.has("streams") && STREAMS > 0) {
    // A fresh API process, so the figure is the streams' and not what the load runs left behind.
    const streamsGw = await startServer("gateway");
    try {
      const taskIds: string[] = [];
      for (let i = 0; i < 100; i++)
        taskIds.push(await seedTask(streamsGw.url, "/api/v1/trigger/submit", "POST"));
      const s = await benchStreams(streamsGw.url, `${prefix}-gateway`, taskIds, STREAMS, () =>
        rss(streamsGw),
      );
      notes.push(
        `Event streams: ${s.streams} open \`GET /mj/task/{id}/events\` on one API process (${s.tasks} tasks), opened in ${s.openSeconds.toFixed(1)} s; API RSS ${s.rssIdleMb.toFixed(0)} MB before, **${s.rssOpenMb.toFixed(0)} MB with all open** (target < 500 MB); one change per task reached every stream in ${s.fanOutMs} ms; the terminal change closed them all in ${s.closeMs} ms.`,
      );
    } finally {
      streamsGw.child.kill();
    }
  }
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${CONNECTIONS} connections, ${DURATION} s per comparison (${PAIRED_ROUNDS} alternating rounds, medians)\n`,
  );
  console.log(rows.join("\n"));
  console.log(`\nAPI RSS after the load runs: ${(gatewayRss / 1024 / 1024).toFixed(0)} MB`);
  for (const note of notes) console.log(`\n${note}`);
} finally {
  gateway.child.kill();
  baseline.child.kill();
  const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  await dropPrefix(redis, `${prefix}-gateway`);
  await dropPrefix(redis, `${prefix}-baseline`);
  redis.disconnect();
}
