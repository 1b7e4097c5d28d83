import { createServer, type Server, Socket } from "node:net";
import { AccountDirectory, type AccountStatus, decodeRecord, keySpace, type TaskRecord } from "@mjg/shared";
import WebSocket, { WebSocketServer } from "ws";
import type { Stack } from "./harness.js";

/** Polls until `check` returns a value other than undefined/false, or throws after a generous timeout. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The full record as the worker keeps it (its account and Discord bookkeeping included). */
export async function storedRecord(stack: Stack, taskId: string): Promise<TaskRecord> {
  return decodeRecord((await stack.redis.get(keySpace(stack.prefix).task(taskId)))!);
}

/** The account as the registry shows it to operators and the API. */
export function accountStatus(stack: Stack, accountId: string): Promise<AccountStatus | null> {
  return new AccountDirectory(stack.redis, keySpace(stack.prefix)).get(accountId);
}

/** Submits and asserts the API accepted the task; returns its id. */
export async function submitOk(stack: Stack, fields: Record<string, string | number>): Promise<string> {
  const answer = await stack.submit(fields);
  if (answer.status !== 200 || typeof answer.body?.result !== "string")
    throw new Error(`submit refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.result as string;
}

/** A plain TCP relay that counts the connections made through it (to see reconnect storms). */
export async function countingRelay(
  target: string,
): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const { hostname, port, pathname, search } = new URL(target);
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(Number(port), hostname);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${address.port}${pathname}${search}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A gateway relay that passes every frame through except READY for sessions identified with
 * `token`: that account's gateway connects but never becomes ready.
 */
export async function readyWithholdingRelay(
  target: string,
  token: string,
): Promise<{ url: string; withheld(): number; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  let withheld = 0;
  server.on("connection", (client, request) => {
    const upstream = new WebSocket(new URL(request.url ?? "/", target).toString().replace(/^http/, "ws"));
    let stuck = false;
    const pending: WebSocket.RawData[] = [];
    upstream.on("open", () => {
      for (const data of pending.splice(0)) upstream.send(data.toString());
    });
    client.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { op: number; d?: { token?: string } };
      if (frame.op === 2 && frame.d?.token === token) stuck = true;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString());
      else pending.push(data);
    });
    upstream.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { t?: string };
      if (stuck && frame.t === "READY") {
        withheld++;
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.send(data.toString());
    });
    const end = () => {
      client.terminate();
      upstream.terminate();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  const { port } = server.address() as { port: number };
  const { pathname, search } = new URL(target);
  return {
    url: `ws://127.0.0.1:${port}${pathname}${search}`,
    withheld: () => withheld,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
