import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ERRORS, presentedSecret, refusal, secretMatches } from "@mjg/shared";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { OwnedRuntimes, WorkerMetrics } from "./metrics.js";

export interface Readiness {
  ready: boolean;
  redis: "up" | "down";
  /** Gateway state of every account this worker owns. */
  gateways: Record<string, string>;
}

const PING_TIMEOUT_MS = 1_000;

/** Ready = Redis answers and every owned account's gateway session is `ready`. */
export async function workerReadiness(redis: Redis, owner: OwnedRuntimes): Promise<Readiness> {
  const gateways = Object.fromEntries(
    [...owner.runtimes].map(([id, runtime]) => [id, runtime.gateway.state]),
  );
  const redisUp = await answers(redis);
  return {
    ready: redisUp && Object.values(gateways).every((state) => state === "ready"),
    redis: redisUp ? "up" : "down",
    gateways,
  };
}

// The worker's connection queues commands while Redis is away: a ping must not wait for its return.
async function answers(redis: Redis): Promise<boolean> {
  if (redis.status !== "ready") return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  try {
    return await Promise.race([redis.ping().then((reply) => reply === "PONG"), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface OpsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** @defaultValue "0.0.0.0" (Prometheus and probes come from outside the container) */
  host?: string;
  metrics: WorkerMetrics;
  readiness: () => Promise<Readiness>;
  logger?: Logger;
  /** When set, /metrics needs it (`mj-api-secret` header or Bearer); probes stay open. */
  secret?: string | undefined;
}

export interface OpsServer {
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/** GET /healthz (the process answers), /readyz (see workerReadiness) and /metrics (Prometheus). */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((request, response) => {
    void route(request, response, options).catch((error) => {
      options.logger?.warn({ err: (error as Error).message, url: request.url }, "ops request failed");
      if (!response.headersSent) send(response, 500, { status: "error" });
      else response.destroy();
    });
  });
  // Probes and scrapes are short; idle sockets must not hold close() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(request: IncomingMessage, response: ServerResponse, options: OpsServerOptions) {
  const path = new URL(request.url ?? "/", "http://ops").pathname.replace(/\/+$/, "") || "/";
  if (request.method !== "GET" && request.method !== "HEAD")
    return send(response, 405, { status: "GET only" });
  switch (path) {
    case "/healthz":
      return send(response, 200, { status: "ok" });
    case "/readyz": {
      const readiness = await options.readiness();
      return send(response, readiness.ready ? 200 : 503, {
        status: readiness.ready ? "ready" : "not ready",
        redis: readiness.redis,
        gateways: readiness.gateways,
      });
    }
    case "/metrics": {
      if (options.secret && !secretMatches(presentedSecret(request.headers), options.secret))
        return send(response, 401, refusal(ERRORS.UNAUTHORIZED.message));
      const text = await options.metrics.text();
      response.writeHead(200, { "content-type": options.metrics.contentType });
      return void response.end(request.method === "HEAD" ? undefined : text);
    }
    default:
      return send(response, 404, { status: "no such route" });
  }
}

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}
