import { createServer, type Server, Socket } from "node:net";
import { AccountDirectory, type AccountStatus, keySpace } from "@mjg/shared";
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
