import { parseMetrics, testRedis, until } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

const API_SECRET = "api-secret-0123";
const ADMIN_SECRET = "admin-secret-4567";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${h!.url}${path}`, { headers });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}

async function post(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${h!.url}${path}`, {
    method: "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await json(response) };
}

function submit(prompt: string, headers: Record<string, string> = {}) {
  return post("/api/v1/trigger/submit", { action: "IMAGINE", prompt }, headers);
}

const ADMIN_PATHS = ["/admin/accounts", "/admin/queues", "/admin/queues/api/queues", "/metrics"];
const UNAUTHORIZED = { code: 0, description: "missing or wrong mj-api-secret header" };

describe("admin surfaces behind the secret", () => {
  it("with only MJ_API_SECRET set, the admin surfaces need that secret (header or Bearer)", async () => {
    h = await startApi({ apiSecret: API_SECRET });
    for (const path of ADMIN_PATHS) {
      const missing = await get(path);
      expect(missing.status, path).toBe(401);
      expect(JSON.parse(missing.text)).toEqual(UNAUTHORIZED);
      expect((await get(path, { "mj-api-secret": "wrong-secret-000" })).status, path).toBe(401);
      expect((await get(path, { "mj-api-secret": API_SECRET })).status, path).toBe(200);
      expect((await get(path, { authorization: `Bearer ${API_SECRET}` })).status, path).toBe(200);
    }
    expect((await post("/admin/accounts/a1/disable")).status).toBe(401);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("with MJ_ADMIN_SECRET set, only it opens the admin surfaces and it opens nothing else", async () => {
    h = await startApi({ apiSecret: API_SECRET, adminSecret: ADMIN_SECRET });
    for (const path of ADMIN_PATHS) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path, { "mj-api-secret": API_SECRET })).status, path).toBe(401);
      expect((await get(path, { "mj-api-secret": ADMIN_SECRET })).status, path).toBe(200);
    }
    expect(
      (await post("/admin/accounts/a1/disable", undefined, { "mj-api-secret": API_SECRET })).status,
    ).toBe(401);
    expect((await get("/api/v1/task/list", { "mj-api-secret": ADMIN_SECRET })).status).toBe(401);
    expect((await get("/api/v1/task/list", { "mj-api-secret": API_SECRET })).status).toBe(200);
  });

  it("with no secret configured (sandbox), the admin surfaces are open", async () => {
    h = await startApi();
    for (const path of ADMIN_PATHS) expect((await get(path)).status, path).toBe(200);
  });
});

describe("queue dashboard", () => {
  it("serves the board and lists every account queue and the callback queue, new accounts included", async () => {
    h = await startApi({ adminSecret: ADMIN_SECRET });
    const auth = { "mj-api-secret": ADMIN_SECRET };
    const page = await get("/admin/queues", auth);
    expect(page.status).toBe(200);
    expect(page.type).toContain("text/html");
    const queueNames = async () =>
      (JSON.parse((await get("/admin/queues/api/queues", auth)).text).queues as { name: string }[]).map(
        (queue) => queue.name,
      );
    expect(await queueNames()).toEqual(expect.arrayContaining(["{acct-a1}", "{notify}"]));

    await h.directory.put(accountStatus("late"));
    const names = await until(queueNames, (list) => list.includes("{acct-late}"));
    expect(names).toEqual(expect.arrayContaining(["{acct-a1}", "{acct-late}", "{notify}"]));
  });

  it("opens in a browser with Basic auth (the secret as password), assets included", async () => {
    h = await startApi({ adminSecret: ADMIN_SECRET });
    const challenge = await fetch(`${h.url}/admin/queues`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toMatch(/^Basic /);
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`operator:${password}`).toString("base64")}`,
    });
    expect((await get("/admin/queues", basic("wrong-password"))).status).toBe(401);
    const page = await get("/admin/queues", basic(ADMIN_SECRET));
    expect(page.status).toBe(200);
    const scripts = [...page.text.matchAll(/src="(static\/js\/[^"]+)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect((await get(`/admin/queues/${script}`, basic(ADMIN_SECRET))).status, script).toBe(200);
      expect((await get(`/admin/queues/${script}`)).status, script).toBe(401);
    }
  });
});

describe("accounts view and control", () => {
  it("lists accounts with live counts and never a token", async () => {
    h = await startApi({
      accounts: [
        accountStatus("a1", { owner: "worker-1", lastError: "gateway closed 4000" }),
        accountStatus("a2"),
      ],
    });
    await h.redis.hset(
      h.keys.accounts,
      "a2",
      JSON.stringify({ ...accountStatus("a2"), token: "TOKEN-SHOULD-NOT-LEAK" }),
    );
    for (const prompt of ["one", "two"]) expect((await submit(prompt)).body.code).toBe(1);

    const response = await get("/admin/accounts");
    expect(response.status).toBe(200);
    expect(response.text).not.toContain("TOKEN-SHOULD-NOT-LEAK");
    expect(response.text).not.toMatch(/token/i);
    const accounts = JSON.parse(response.text) as Record<string, unknown>[];
    expect(accounts.map((account) => account.id)).toEqual(["a1", "a2"]);
    expect(Object.keys(accounts[0]!).sort()).toEqual(
      [
        "concurrency",
        "disabledReason",
        "enabled",
        "gateway",
        "id",
        "lastError",
        "load",
        "owner",
        "queueSize",
        "running",
        "updatedAt",
        "waiting",
      ].sort(),
    );
    expect(accounts[0]).toMatchObject({ owner: "worker-1", lastError: "gateway closed 4000", running: 0 });
    // No worker runs here: both tasks wait in the queues they were spread over.
    const waiting = accounts.reduce((sum, account) => sum + Number(account.waiting), 0);
    const load = accounts.reduce((sum, account) => sum + Number(account.load), 0);
    expect(waiting).toBe(2);
    expect(load).toBe(2);
  });

  it("disabling the only account makes submit answer 503; enabling it brings submit back", async () => {
    h = await startApi({ apiSecret: API_SECRET });
    const auth = { "mj-api-secret": API_SECRET };
    const disabled = await post("/admin/accounts/a1/disable", { reason: "maintenance" }, auth);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: "a1", enabled: false, disabledReason: "maintenance" });
    expect((await h.directory.get("a1"))?.enabled).toBe(false);

    // Every API process re-reads the registry within half a second: wait for it, do not race it.
    const refused = await until(
      () => submit("a cat", auth),
      (answer) => answer.status !== 200,
    );
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      code: 0,
      description: "no enabled Discord account is available; is a worker running?",
    });

    const enabled = await post("/admin/accounts/a1/enable", undefined, auth);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ id: "a1", enabled: true, disabledReason: null });
    const accepted = await until(
      () => submit("a cat", auth),
      (answer) => answer.status === 200,
    );
    expect(accepted.body.code).toBe(1);
  });

  it("disabling without a reason records that an operator did it, and workers hear of it", async () => {
    h = await startApi();
    const listener = testRedis();
    const heard: string[] = [];
    await listener.subscribe(h.keys.accountEvents);
    listener.on("message", (_channel, message) => heard.push(message));
    try {
      const disabled = await post("/admin/accounts/a1/disable");
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabledReason).toBe("disabled by an operator");
      await until(
        async () => heard.length,
        (count) => count > 0,
      );
      expect(JSON.parse(heard[0]!)).toEqual({
        id: "a1",
        enabled: false,
        disabledReason: "disabled by an operator",
      });
    } finally {
      listener.disconnect();
    }
  });

  it("answers 404 in the seed envelope for an unknown account and 400 for a bad reason", async () => {
    h = await startApi();
    for (const action of ["enable", "disable"]) {
      const response = await post(`/admin/accounts/nobody/${action}`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ code: 0, description: "no Discord account has this id" });
    }
    expect(await h.directory.get("nobody")).toBeNull();
    const bad = await post("/admin/accounts/a1/disable", { reason: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(0);
  });
});

describe("Prometheus metrics", () => {
  it("counts requests by route pattern and status, and shows queue depths and account loads", async () => {
    h = await startApi({ accounts: [accountStatus("a1")] });
    const scrape = async () => parseMetrics((await get("/metrics")).text);
    const submitted = 'http_requests_total{route="/api/v1/trigger/submit",method="POST",status="200"}';
    const fetched = 'http_requests_total{route="/api/v1/task/fetch",method="GET",status="404"}';
    const before = await scrape();
    expect(before.get(submitted) ?? 0).toBe(0);

    const first = await submit("a cat");
    await submit("a dog");
    await get(`/api/v1/task/fetch?_id=missing-${first.body.result}`);
    await get("/no/such/route");

    const unmatched = 'http_requests_total{route="unmatched",method="GET",status="404"}';
    // A request is counted once its answer has left: wait for the count, do not race it.
    const after = await until(
      scrape,
      (metrics) => metrics.get(submitted) === 2 && metrics.get(fetched) === 1 && metrics.get(unmatched) === 1,
    );
    expect(after.get(submitted)).toBe(2);
    expect(after.get(fetched)).toBe(1);
    expect(after.get(unmatched)).toBe(1);
    // The raw URL (with its id) never becomes a label.
    expect([...after.keys()].some((key) => key.includes("missing-"))).toBe(false);
    expect(after.get('http_request_duration_seconds_count{route="/api/v1/trigger/submit"}')).toBe(2);
    expect(after.get('mj_queue_jobs{queue="{acct-a1}",state="waiting"}')).toBe(2);
    expect(after.get('mj_queue_jobs{queue="{notify}",state="failed"}')).toBe(0);
    expect(after.get('mj_account_load{account="a1"}')).toBe(2);
    expect(after.get('mj_account_available{account="a1"}')).toBe(1);
    expect(after.get("mj_redis_up")).toBe(1);
    expect([...after.keys()].some((key) => key.startsWith("process_cpu"))).toBe(true);
  });
});

describe("overload guard", () => {
  it("answers 503 OVERLOADED in the seed envelope while the event loop is stalled, and recovers", async () => {
    h = await startApi({ overload: { maxEventLoopDelayMs: 40, sampleIntervalMs: 100 } });
    // Keeps the loop blocked most of the time, as a CPU-bound burst would.
    const stall = setInterval(() => {
      const until = Date.now() + 150;
      while (Date.now() < until) {}
    }, 5);
    try {
      const overloaded = await until(
        () => get("/healthz"),
        (response) => response.status === 503,
      );
      expect(JSON.parse(overloaded.text)).toEqual({
        code: 0,
        description: "the API is overloaded; retry shortly",
      });
    } finally {
      clearInterval(stall);
    }
    await until(
      () => get("/healthz"),
      (response) => response.status === 200,
    );
  });
});
