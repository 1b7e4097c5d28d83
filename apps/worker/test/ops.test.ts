import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { apiEnv, serveApi } from "@mjg/api";
import { startSimulator } from "@mjg/discord-sim";
import { createLogger, keySpace, parseEnv } from "@mjg/shared";
import {
  dropPrefix,
  freePort,
  json,
  parseMetrics,
  startRedisServer,
  TEST_REDIS_URL,
  testRedis,
  uniquePrefix,
  until,
} from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { workerEnv } from "../src/env.js";
import { serveWorker } from "../src/serve.js";
import { startWorker } from "../src/worker.js";
import { type Stack, startStack } from "./harness.js";

let stack: Stack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function get(url: string) {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

async function startWithOps() {
  stack = await startStack({ workers: 0 });
  const worker = await stack.startWorker({ ops: { port: 0, host: "127.0.0.1" } });
  const ops = worker.ops!;
  const account = stack.accounts[0]!.id;
  const scrape = async () => parseMetrics((await get(`${ops.url}/metrics`)).text);
  return { stack, worker, ops, account, scrape };
}

describe("worker health, readiness and metrics on its own port", () => {
  it("guards /metrics with the admin secret when one is set, and leaves the probes open", async () => {
    stack = await startStack({ workers: 0 });
    const worker = await stack.startWorker({ ops: { port: 0, host: "127.0.0.1", secret: "metrics-secret" } });
    const url = worker.ops!.url;
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { "mj-api-secret": "wrong-secret" } })).status).toBe(
      401,
    );
    expect(
      (await fetch(`${url}/metrics`, { headers: { authorization: "Bearer metrics-secret" } })).status,
    ).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("is live at once, ready once its gateways are up, and counts a finished task", async () => {
    const { stack, ops, account, scrape } = await startWithOps();
    expect(await get(`${ops.url}/healthz`)).toEqual({ status: 200, text: '{"status":"ok"}' });
    const ready = await until(
      () => get(`${ops.url}/readyz`),
      (answer) => answer.status === 200,
    );
    expect(JSON.parse(ready.text)).toEqual({
      status: "ready",
      redis: "up",
      gateways: { [account]: "ready" },
    });

    const finished = 'mj_tasks_finished_total{action="IMAGINE",status="SUCCESS"}';
    expect((await scrape()).get(finished) ?? 0).toBe(0);
    const submitted = await stack.submit({ action: "IMAGINE", prompt: "a quiet harbour" });
    expect((await stack.waitForTask(submitted.body.result)).status).toBe("SUCCESS");

    // The record is written before the worker's own bookkeeping ends: wait for it, do not race it.
    const after = await until(
      scrape,
      (metrics) =>
        metrics.get(finished) === 1 && metrics.get(`mj_account_running_jobs{account="${account}"}`) === 0,
    );
    expect(after.get('mj_task_duration_seconds_count{action="IMAGINE",status="SUCCESS"}')).toBe(1);
    expect(after.get('mj_task_first_progress_seconds_count{action="IMAGINE"}')).toBe(1);
    expect(after.get(`mj_gateway_connected{account="${account}"}`)).toBe(1);
    expect(after.get("mj_worker_owned_accounts")).toBe(1);
    expect([...after.keys()].some((key) => key.startsWith("process_cpu"))).toBe(true);
    expect((await get(`${ops.url}/nothing`)).status).toBe(404);
  });

  it("counts Discord's 429s and gateway reconnects per account, and failed tasks by status", async () => {
    const { stack, account, scrape } = await startWithOps();
    const sim = stack.accounts[0]!.token;
    stack.sim.control.rateLimitNext(sim, { retryAfter: 0.05 });
    const limited = await stack.submit({ action: "IMAGINE", prompt: "a slow train" });
    expect((await stack.waitForTask(limited.body.result)).status).toBe("SUCCESS");
    await until(
      scrape,
      (metrics) => metrics.get(`mj_discord_rate_limited_total{account="${account}"}`) === 1,
    );

    stack.sim.control.reconnect(sim);
    await until(
      scrape,
      (metrics) => (metrics.get(`mj_gateway_reconnects_total{account="${account}"}`) ?? 0) >= 1,
    );

    stack.sim.control.failNext(sim, "banned");
    const banned = await stack.submit({ action: "IMAGINE", prompt: "a forbidden thing" });
    expect((await stack.waitForTask(banned.body.result)).status).toBe("FAILURE");
    await until(
      scrape,
      (metrics) => metrics.get('mj_tasks_finished_total{action="IMAGINE",status="FAILURE"}') === 1,
    );
  });

  it("stops being ready when an account's gateway is closed for good", async () => {
    const { stack, ops, account } = await startWithOps();
    await until(
      () => get(`${ops.url}/readyz`),
      (answer) => answer.status === 200,
    );
    stack.sim.control.closeSocket(stack.accounts[0]!.token, 4004);
    const notReady = await until(
      () => get(`${ops.url}/readyz`),
      (answer) => answer.status === 503,
    );
    expect(JSON.parse(notReady.text)).toMatchObject({ status: "not ready", redis: "up" });
    expect(JSON.parse(notReady.text).gateways[account]).not.toBe("ready");
  });
});

describe("worker readiness and Redis", () => {
  it("stops being ready while Redis is away and is ready again once it is back", async () => {
    const port = await freePort();
    let redisProcess = await startRedisServer(port);
    cleanups.push(async () => {
      redisProcess.kill("SIGKILL");
    });
    const sim = await startSimulator({
      accounts: 1,
      stepDelayMs: 5,
      heartbeatIntervalMs: 2_000,
      logger: false,
    });
    cleanups.push(() => sim.close());
    const account = sim.accounts[0]!;
    const worker = await startWorker({
      redisUrl: `redis://127.0.0.1:${port}`,
      keys: keySpace(uniquePrefix("ready")),
      accounts: [
        {
          id: "ready",
          token: account.token,
          guildId: account.guildId,
          channelId: account.channelId,
          concurrency: 3,
          queueSize: 10,
          enabled: true,
          minIntervalMs: 0,
          jitterMs: 0,
        },
      ],
      discord: { apiUrl: sim.apiUrl, gatewayUrl: sim.gatewayUrl },
      notify: {
        allowPrivate: true,
        progressEvents: false,
        backoffSeconds: [0.05],
        timeoutMs: 5_000,
        concurrency: 1,
      },
      logger: createLogger("test", "silent"),
      timeoutMs: 60_000,
      retentionMs: 60_000,
      leaseMs: 3_000,
      shutdownGraceMs: 1_000,
      ops: { port: 0, host: "127.0.0.1" },
    });
    cleanups.push(() => worker.close());
    const readyz = () => get(`${worker.ops!.url}/readyz`);
    await until(readyz, (answer) => answer.status === 200);

    redisProcess.kill("SIGKILL");
    const away = await until(readyz, (answer) => answer.status === 503);
    expect(JSON.parse(away.text)).toMatchObject({ status: "not ready", redis: "down" });
    expect((await get(`${worker.ops!.url}/healthz`)).status).toBe(200);

    redisProcess = await startRedisServer(port);
    await until(readyz, (answer) => answer.status === 200);
  });
});

describe("logs", () => {
  it("a full task run with callbacks logs neither the Discord token nor MJ_API_SECRET nor NOTIFY_SECRET", async () => {
    const lines: string[] = [];
    // Every line the API and the worker write, at the most verbose level, kept instead of printed.
    const capture = (name: string) =>
      createLogger(name, "trace", {
        hooks: {
          streamWrite: (line: string) => {
            lines.push(line);
            return "";
          },
        },
      });
    const token = "mfa.SIMULATED-token-that-must-never-be-logged-0123456789";
    const apiSecret = "api-secret-never-logged-42";
    const notifySecret = "whsec_bm90aWZ5LXNlY3JldC1uZXZlci1sb2dnZWQ=";
    const prefix = uniquePrefix("ops").slice(0, 32);
    const sim = await startSimulator({
      accounts: [{ id: "logged", token }],
      stepDelayMs: 5,
      heartbeatIntervalMs: 2_000,
      logger: false,
    });
    cleanups.push(() => sim.close());
    const received: string[] = [];
    const receiver = await listen(
      createServer((request, response) => {
        let body = "";
        request.on("data", (chunk) => {
          body += chunk;
        });
        request.on("end", () => {
          received.push(body);
          response.writeHead(204).end();
        });
      }),
    );
    cleanups.push(() => new Promise((resolve) => receiver.close(() => resolve())));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const account = sim.accounts[0]!;
    const common = {
      REDIS_URL: TEST_REDIS_URL,
      MJ_KEY_PREFIX: prefix,
      NOTIFY_ALLOW_PRIVATE: "true",
      MJ_ACCOUNTS: JSON.stringify([
        {
          id: "logged",
          token,
          guildId: account.guildId,
          channelId: account.channelId,
          minIntervalMs: 0,
          jitterMs: 0,
        },
      ]),
    };
    const api = await serveApi(
      parseEnv(apiEnv, { ...common, PORT: "0", HOST: "127.0.0.1", MJ_API_SECRET: apiSecret }),
      capture("api"),
    );
    cleanups.push(() => api.close());
    const worker = await serveWorker(
      parseEnv(workerEnv, {
        ...common,
        NOTIFY_SECRET: notifySecret,
        DISCORD_API_URL: sim.apiUrl,
        DISCORD_GATEWAY_URL: sim.gatewayUrl,
        WORKER_PORT: "0",
        NOTIFY_BACKOFF_SECONDS: "0.05,0.1",
      }),
      capture("worker"),
    );
    cleanups.push(() => worker.close());
    cleanups.push(async () => {
      const redis = testRedis();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });

    // Objects that do carry secrets come out censored, wherever they sit.
    capture("probe").info(
      {
        account: { id: "logged", token },
        headers: { authorization: apiSecret, "mj-api-secret": apiSecret },
        NOTIFY_SECRET: notifySecret,
      },
      "redaction probe",
    );
    const submitted = await fetch(`${api.address}/api/v1/trigger/submit`, {
      method: "POST",
      headers: { "content-type": "application/json", "mj-api-secret": apiSecret },
      body: JSON.stringify({ action: "IMAGINE", prompt: "a logged lighthouse", notifyHook: hook }),
    }).then((response) => json(response));
    expect(submitted.code).toBe(1);
    const refused = await fetch(`${api.address}/api/v1/task/fetch?_id=${submitted.result}`, {
      headers: { authorization: `Bearer ${apiSecret}-wrong` },
    });
    expect(refused.status).toBe(401);
    const task = await until(
      () =>
        fetch(`${api.address}/api/v1/task/fetch?_id=${submitted.result}`, {
          headers: { authorization: `Bearer ${apiSecret}` },
        }).then((response) => json(response)),
      (current) => current.status === "SUCCESS" || current.status === "FAILURE",
    );
    expect(task.status).toBe("SUCCESS");
    await until(
      async () => received.length,
      (count) => count > 0,
    );
    await fetch(`${worker.worker.ops!.url}/metrics`);

    const output = lines.join("");
    // The capture really saw the run: requests, the gateway, the task and its callback.
    expect(output).toContain("/api/v1/trigger/submit");
    expect(output).toContain(submitted.result);
    expect(output).toContain("callback delivered");
    expect(output).toContain('"token":"[redacted]"');
    for (const secret of [token, apiSecret, notifySecret, notifySecret.slice("whsec_".length)]) {
      expect(output.includes(secret), `a log line holds ${secret.slice(0, 8)}…`).toBe(false);
    }
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
