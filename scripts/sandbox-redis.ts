// Redis for `pnpm start`: the configured one (waited for, loudly), the default one, or a private
// redis-server started for the sandbox when nothing answers and none was configured.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { connectRedis, redisReady } from "@mjg/shared";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** Why there is no Redis and how to get one: printed as is, then the process stops. */
export class NoRedisError extends Error {}

export interface RedisChoice {
  url: string;
  /** Set when this process started its own redis-server. */
  private: { port: number; dir: string; stop(): void } | null;
}

interface Log {
  info(message: string): void;
  warn(message: string): void;
}

/** Does a Redis answer at this URL (auth, TLS and cluster settings from the environment)? */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<{ ok: boolean; error?: string }> {
  const client = connectRedis(url, { failFast: true, name: "start-probe" });
  let error: string | undefined;
  client.on("error", (e: Error & { code?: string }) => {
    error = e.code ?? e.message;
  });
  try {
    await redisReady(client, timeoutMs);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: error ?? (e as Error).message };
  } finally {
    client.disconnect();
  }
}

/** The executable's path when it is on PATH. */
export function onPath(name: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const NO_REDIS_HELP = `No Redis answers on 127.0.0.1:6379 and redis-server is not on PATH.
The sandbox needs one; any of these will do:
  • install it:  sudo apt-get install redis-server   (Debian/Ubuntu)
                 brew install redis                    (macOS)
  • run it in Docker:  docker run -d --name mjg-redis -p 6379:6379 redis:7
  • point at one you have:  REDIS_URL=redis://host:6379 pnpm start
then run pnpm start again.`;

/** Starts `redis-server` on a free loopback port with its own data dir; resolves once it answers. */
export async function startPrivateRedis(binary: string): Promise<NonNullable<RedisChoice["private"]>> {
  const dir = mkdtempSync(join(tmpdir(), "mjg-sandbox-redis-"));
  const port = await freePort();
  // No snapshots: the sandbox's data lives as long as the process.
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  // Stopped with this process, however it ends.
  process.once("exit", stop);
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) break;
    if ((await redisAnswers(url, 500)).ok) return { port, dir, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  throw new NoRedisError(`redis-server (${binary}) did not start: ${stderr.trim() || "no answer"}`);
}

/**
 * The Redis to run on. An explicit REDIS_URL (or REDIS_CLUSTER_NODES) is waited for, saying so
 * every few seconds; with none, the default address, else a private redis-server, else NoRedisError.
 */
export async function chooseRedis(
  env: Record<string, string | undefined>,
  log: Log,
  options: { defaultUrl?: string; retryMs?: number; maxAttempts?: number } = {},
): Promise<RedisChoice> {
  const explicit =
    env.REDIS_URL || (env.REDIS_CLUSTER_NODES ? (env.REDIS_URL ?? DEFAULT_REDIS_URL) : undefined);
  if (explicit) {
    const where = env.REDIS_CLUSTER_NODES
      ? `REDIS_CLUSTER_NODES=${env.REDIS_CLUSTER_NODES}`
      : redacted(explicit);
    for (let attempt = 1; ; attempt++) {
      const probe = await redisAnswers(explicit);
      if (probe.ok) return { url: explicit, private: null };
      if (attempt >= (options.maxAttempts ?? Number.POSITIVE_INFINITY))
        throw new NoRedisError(`Redis at ${where} does not answer (${probe.error})`);
      log.warn(`Redis at ${where} does not answer (${probe.error}); is it running? retrying…`);
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2_000));
    }
  }
  const defaultUrl = options.defaultUrl ?? DEFAULT_REDIS_URL;
  if ((await redisAnswers(defaultUrl)).ok) return { url: defaultUrl, private: null };
  const binary = onPath("redis-server", env.PATH);
  if (!binary) throw new NoRedisError(NO_REDIS_HELP);
  const own = await startPrivateRedis(binary);
  log.info(
    `nothing answers on ${defaultUrl.replace("redis://", "")}: started a private redis-server on 127.0.0.1:${own.port} for the sandbox (data in ${own.dir}, stopped with this process)`,
  );
  return { url: `redis://127.0.0.1:${own.port}`, private: own };
}

/** A URL fit for logs: its password hidden. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unreadable REDIS_URL)";
  }
}
