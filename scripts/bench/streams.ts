// The event-stream part of `pnpm bench:api`: many open `GET /mj/task/{id}/events` streams on one API
// process, its RSS while they are open, and how long one change per task takes to reach them all.
import { Agent, get, type IncomingMessage } from "node:http";
import { connectRedis, keySpace, TaskStore } from "@mjg/shared";

export interface StreamFigures {
  streams: number;
  tasks: number;
  openSeconds: number;
  rssIdleMb: number;
  rssOpenMb: number;
  fanOutMs: number;
  closeMs: number;
}

interface OpenStream {
  events: number;
  ended: boolean;
  response: IncomingMessage;
}

/** Opens `streams` event streams over `taskIds` against `url`, a change on each task, then the end. */
export async function benchStreams(
  url: string,
  prefix: string,
  taskIds: string[],
  streams: number,
  rss: () => Promise<number>,
): Promise<StreamFigures> {
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const store = new TaskStore({ redis, keys: keySpace(prefix), retentionMs: 3_600_000, timeoutMs: 600_000 });
  const open: OpenStream[] = [];
  const rssIdle = await rss();
  const started = Date.now();
  const BATCH = 500;
  for (let first = 0; first < streams; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, streams - first) }, (_, i) =>
      openStream(agent, `${url}/mj/task/${taskIds[(first + i) % taskIds.length]}/events`),
    );
    open.push(...(await Promise.all(batch)));
  }
  const openSeconds = (Date.now() - started) / 1000;
  const rssOpen = await rss();

  // One change per task, published by another process's store: every stream gets its second event.
  const fanOutStart = Date.now();
  for (const id of taskIds) await store.update(id, () => ({ status: "SUBMITTED" }));
  await until(() => open.every((stream) => stream.events >= 2));
  const fanOutMs = Date.now() - fanOutStart;

  const closeStart = Date.now();
  for (const id of taskIds) await store.update(id, () => ({ status: "CANCEL", failReason: "bench" }));
  await until(() => open.every((stream) => stream.ended));
  const closeMs = Date.now() - closeStart;
  agent.destroy();
  redis.disconnect();
  return {
    streams,
    tasks: taskIds.length,
    openSeconds,
    rssIdleMb: rssIdle / 1024 / 1024,
    rssOpenMb: rssOpen / 1024 / 1024,
    fanOutMs,
    closeMs,
  };
}

function openStream(agent: Agent, url: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent, headers: { accept: "text/event-stream" } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`${url}: HTTP ${response.statusCode}`));
        response.resume();
        return;
      }
      const stream: OpenStream = { events: 0, ended: false, response };
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split("\n\n");
        buffer = blocks.pop() ?? "";
        const before = stream.events;
        stream.events += blocks.filter((block) => block.includes("data: ")).length;
        if (before === 0 && stream.events > 0) resolve(stream);
      });
      response.on("end", () => {
        stream.ended = true;
      });
      response.on("close", () => {
        stream.ended = true;
      });
    });
    request.on("error", reject);
  });
}

async function until(done: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("streams did not all get there in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
