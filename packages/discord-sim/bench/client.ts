import { Pool } from "undici";
import WebSocket from "ws";

/** The bench's client side: identify, keep jobs in flight per account, count completed jobs. */
const mode = process.env.BENCH_MODE;
const apiUrl = new URL(process.env.BENCH_API_URL!);
const gatewayUrl = process.env.BENCH_GATEWAY_URL!;
const accounts = JSON.parse(process.env.BENCH_ACCOUNTS!) as Array<{
  token: string;
  guildId: string;
  channelId: string;
}>;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
// Below concurrency + wait list (3 + 10) so no "Queue full".
const IN_FLIGHT = 8;

function connect(
  token: string,
  onDispatch?: (t: string, d: Record<string, unknown>) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gatewayUrl, { perMessageDeflate: false });
    let seq: number | null = null;
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.s) seq = frame.s;
      if (frame.op === 10) {
        const beat = setInterval(
          () => ws.send(JSON.stringify({ op: 1, d: seq })),
          frame.d.heartbeat_interval,
        );
        ws.on("close", () => clearInterval(beat));
        ws.send(
          JSON.stringify({
            op: 2,
            d: { token, capabilities: 16381, properties: { os: "Linux" }, compress: false },
          }),
        );
      } else if (frame.op === 0) {
        if (frame.t === "READY") resolve(ws);
        else onDispatch?.(frame.t, frame.d);
      }
    });
    ws.on("error", reject);
  });
}

let counter = 0;
const nonce = () => `${Date.now()}${(counter++ % 100000).toString().padStart(5, "0")}`;

async function jobs(): Promise<void> {
  const pool = new Pool(apiUrl.origin, { connections: 64, pipelining: 1 });
  let completed = 0;
  let stopping = false;
  const latencies: number[] = [];
  const started = new Map<string, number>();
  const progressByNonce = new Map<string, string>();
  const submit = async (account: (typeof accounts)[number]) => {
    if (stopping) return;
    const n = nonce();
    started.set(n, performance.now());
    const body = JSON.stringify({
      type: 2,
      application_id: "936929561302675456",
      guild_id: account.guildId,
      channel_id: account.channelId,
      session_id: "0123456789abcdef0123456789abcdef",
      nonce: n,
      data: {
        version: "1237876415471554623",
        id: "938956540159881230",
        name: "imagine",
        type: 1,
        options: [{ type: 3, name: "prompt", value: `bench ${n}` }],
      },
    });
    const res = await pool.request({
      path: `${apiUrl.pathname}/interactions`,
      method: "POST",
      headers: { authorization: account.token, "content-type": "application/json" },
      body,
    });
    await res.body.dump();
    if (res.statusCode !== 204) throw new Error(`interaction answered ${res.statusCode}`);
  };
  await Promise.all(
    accounts.map((account) =>
      connect(account.token, (t, d) => {
        // Correlate like a real client: nonce → progress message id → its MESSAGE_DELETE.
        if (t === "MESSAGE_CREATE" && d.nonce && d.type === 20 && d.flags === 0)
          progressByNonce.set(d.id as string, d.nonce as string);
        else if (t === "MESSAGE_DELETE") {
          const n = progressByNonce.get(d.id as string);
          if (!n) return;
          progressByNonce.delete(d.id as string);
          latencies.push(performance.now() - started.get(n)!);
          started.delete(n);
          completed++;
          void submit(account);
        }
      }),
    ),
  );
  const t0 = performance.now();
  for (const account of accounts) for (let i = 0; i < IN_FLIGHT; i++) void submit(account);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stopping = true;
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  console.log(
    JSON.stringify({
      completed,
      seconds: elapsed,
      jobsPerSecond: completed / elapsed,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
    }),
  );
  process.exit(0);
}

async function idle(): Promise<void> {
  const total = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < total; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(total, i + 50); j++)
      batch.push(connect(accounts[j % accounts.length]!.token));
    sockets.push(...(await Promise.all(batch)));
  }
  // Let the simulator settle with everything open.
  await new Promise((r) => setTimeout(r, 2000));
  console.log(JSON.stringify({ connections: sockets.length }));
  // A clean close (1000) ends the sessions, as a client logging out does.
  await Promise.all(sockets.map((ws) => new Promise((r) => ws.once("close", r) && ws.close(1000))));
  process.exit(0);
}

await (mode === "jobs" ? jobs() : idle());
