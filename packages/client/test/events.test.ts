import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../../apps/worker/test/harness.js";
import { MjgClient, type ProgressSource } from "../src/index.js";

/**
 * The wire format of `GET /mj/task/{id}/events` (issue 13 item 4: the /mj Task JSON as each
 * event's data, an id per event, heartbeat comments, closed after the terminal state), served in
 * front of the real gateway by re-reading its fetch. Until the gateway serves the route itself, this
 * is what the client's stream reading is checked against; everything else passes through.
 */
interface Front {
  url: string;
  /** `Last-Event-ID` of each events request, in order (null: none sent). */
  resumes: (string | null)[];
  fetches: number;
  close(): Promise<void>;
}

type Mode = "stream" | "drop-once" | "refuse";

async function front(apiUrl: string, mode: Mode): Promise<Front> {
  const state: Front = { url: "", resumes: [], fetches: 0, close: async () => {} };
  let dropped = false;
  const stream = async (id: string, req: IncomingMessage, res: ServerResponse) => {
    const lastEventId = (req.headers["last-event-id"] as string | undefined) ?? null;
    state.resumes.push(lastEventId);
    if (mode === "refuse") return res.writeHead(405, { "content-type": "application/json" }).end("{}");
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": connected\n\n");
    let n = Number(lastEventId ?? 0);
    let last = "";
    for (;;) {
      const task = (await (await fetch(`${apiUrl}/mj/task/${id}/fetch`)).json()) as { status: string };
      const body = JSON.stringify(task);
      if (body !== last) {
        last = body;
        n += 1;
        const event = `id: ${n}\ndata: ${body}\n\n`;
        if (["SUCCESS", "FAILURE", "CANCEL"].includes(task.status)) return res.end(event);
        // The first connection breaks once its first event is out, as a proxy cutting it would.
        if (mode === "drop-once" && !dropped) {
          dropped = true;
          return res.write(event, () => res.destroy());
        }
        res.write(event);
      } else res.write(": heartbeat\n\n");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const server: Server = createServer(async (req, res) => {
    const match = /^\/mj\/task\/([^/]+)\/events$/.exec(req.url ?? "");
    if (match) return stream(match[1]!, req, res);
    if (req.url?.includes("/fetch")) state.fetches += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await fetch(`${apiUrl}${req.url}`, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stepDelayMs: 20 });
});
afterAll(async () => stack?.close());

async function follow(mode: Mode) {
  const gateway = await front(stack.apiUrl, mode);
  try {
    const mj = new MjgClient({ baseUrl: gateway.url });
    const { id } = await mj.imagine({ prompt: `a lighthouse (${mode})` });
    const sources: ProgressSource[] = [];
    const statuses: string[] = [];
    const task = await mj.waitFor(id, {
      pollIntervalMs: 50,
      onProgress: (t, source) => {
        sources.push(source);
        statuses.push(`${t.status} ${t.progress}`);
      },
    });
    return { task, sources: [...new Set(sources)], statuses, gateway };
  } finally {
    await gateway.close();
  }
}

describe("waitFor over the gateway's event stream", () => {
  it("follows the stream to the end without polling, each change once", async () => {
    const { task, sources, statuses, gateway } = await follow("stream");
    expect(task.status).toBe("SUCCESS");
    expect(sources).toEqual(["events"]);
    expect(gateway.fetches).toBe(0);
    expect(gateway.resumes).toEqual([null]);
    expect(statuses.at(-1)).toBe("SUCCESS 100%");
    expect(new Set(statuses).size).toBe(statuses.length);
  });

  it("a stream cut mid-task is resumed with Last-Event-ID", async () => {
    const { task, sources, gateway } = await follow("drop-once");
    expect(task.status).toBe("SUCCESS");
    expect(sources).toEqual(["events"]);
    expect(gateway.resumes).toEqual([null, "1"]);
  });

  it("a gateway that refuses the stream is polled instead", async () => {
    const { task, sources, gateway } = await follow("refuse");
    expect(task.status).toBe("SUCCESS");
    expect(sources).toEqual(["polling"]);
    expect(gateway.fetches).toBeGreaterThan(0);
  });
});
