import { Agent, request } from "node:http";
import { until } from "@mjg/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

/**
 * Thousands of random and hostile requests over real HTTP against every route: none may answer a
 * 5xx other than 503, none may hang, every refusal leaves in its API's envelope, and the process
 * still works afterwards. Seeded, so a failure replays: FUZZ_SEED=<n> FUZZ_COUNT=<n>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3_000);
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 15_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rand = mulberry32(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

const MJ_PREFIXES = ["/mj", "/mj-fast/mj", "/mj-relax/mj", "/mj-turbo/mj"];
const MJ_PATHS = [
  "/submit/imagine",
  "/submit/change",
  "/submit/simple-change",
  "/submit/action",
  "/submit/modal",
  "/submit/describe",
  "/submit/blend",
  "/submit/shorten",
  "/submit/upload-discord-images",
  "/task/{id}/fetch",
  "/task/list-by-condition",
  "/task/list-by-ids",
  "/task/list",
  "/task/queue",
  "/task/{id}/image-seed",
  "/task/{id}/cancel",
  "/account/list",
  "/account/{id}/fetch",
];
const SEED_PATHS = [
  "/api/v1/trigger/submit",
  "/api/v1/task/fetch",
  "/api/v1/task/list",
  "/api/v1/task/callbacks",
];
const ADMIN_PATHS = [
  "/admin/accounts",
  "/admin/accounts/{id}/enable",
  "/admin/accounts/{id}/disable",
  "/admin/callbacks/replay",
];
const OTHER_PATHS = ["/healthz", "/readyz", "/metrics", "/", "/nope", "/mj", "/mj/", "/mj/task", "/api/v1"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST", "POST", "GET"];

const HOSTILE_STRINGS = [
  "",
  " ",
  "null",
  "undefined",
  "__proto__",
  "constructor",
  "prototype",
  "💥🎨",
  "\u0000",
  "\ud800",
  "a".repeat(300),
  "x".repeat(70_000),
  "data:image/png;base64,",
  "data:image/png;base64,!!!!",
  "data:image/png;base64,iVBORw0KGgo=",
  "MJ::JOB::upsample::1::0f3b1a2c-1111-2222-3333-444455556666",
  "MJ::CustomZoom::x",
  "1700000000000123",
  "9".repeat(40),
  "0123456789abcdef01234567",
  "http://127.0.0.1/hook",
  "https://example.com/hook",
  "javascript:alert(1)",
  "' OR 1=1 --",
  "${jndi:ldap://x}",
  "../../etc/passwd",
  "%00",
  "IMAGINE",
  "UPSCALE",
  "FAST",
  "PORTRAIT",
];
const FIELDS = [
  "prompt",
  "action",
  "taskId",
  "index",
  "customId",
  "state",
  "notifyHook",
  "base64",
  "base64Array",
  "maskBase64",
  "dimensions",
  "botType",
  "accountFilter",
  "ids",
  "content",
  "link",
  "enableRemix",
  "limit",
  "cursor",
  "_id",
  "status",
  "__proto__",
  "constructor",
  "prototype",
];

function hostileValue(depth = 0): unknown {
  switch (int(depth > 3 ? 6 : 10)) {
    case 0:
      return pick(HOSTILE_STRINGS);
    case 1:
      return pick([0, -1, 1, 4, 5, 1.5, 2 ** 53 + 1, 1e308, -0, 1_700_000_000_000_123]);
    case 2:
      return pick([true, false, null]);
    case 3:
      return pick(HOSTILE_STRINGS).slice(0, int(40));
    case 4:
      return String(int(10_000));
    case 5:
      return "data:image/png;base64,".concat("A".repeat(int(5_000)));
    case 6:
      return Array.from({ length: int(8) }, () => hostileValue(depth + 1));
    default:
      return hostileObject(depth + 1);
  }
}

function hostileObject(depth = 0): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  // defineProperty: a `__proto__` key stays an own key instead of replacing the prototype.
  for (let i = int(6); i > 0; i--)
    Object.defineProperty(object, pick(FIELDS), {
      value: hostileValue(depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return object;
}

function nested(depth: number): string {
  return rand() < 0.5
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

interface Body {
  contentType: string | undefined;
  payload: string | Buffer | undefined;
}

function jsonText(): string {
  // Keys the JSON serializer would drop: `__proto__` written out literally.
  const text = JSON.stringify(hostileObject());
  return rand() < 0.2
    ? text.replace(/^\{/, '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},')
    : text;
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// A lone surrogate cannot be percent-encoded: it is sent raw, which is hostile enough.
function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

function multipart(): Body {
  const boundary = pick(["xyz", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "", "a b", '"q"']);
  const parts = Array.from({ length: int(5) }, () => {
    const name = pick(FIELDS);
    const file = rand() < 0.15 ? `; filename="${pick(["a.png", "", "../x"])}"` : "";
    return `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file}\r\n\r\n${asText(hostileValue())}\r\n`;
  });
  let payload = `${parts.join("")}--${boundary}--\r\n`;
  if (rand() < 0.3) payload = payload.slice(0, int(payload.length));
  const contentType = pick([
    `multipart/form-data; boundary=${boundary}`,
    "multipart/form-data",
    "multipart/form-data; boundary=",
    `multipart/form-data; boundary=other`,
    `Multipart/Form-Data; BOUNDARY=${boundary}`,
  ]);
  return { contentType, payload };
}

function body(): Body {
  switch (int(12)) {
    case 0:
    case 1:
    case 2:
      return {
        contentType: pick(["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]),
        payload: jsonText(),
      };
    case 3: {
      const text = jsonText();
      return { contentType: "application/json", payload: text.slice(0, int(text.length)) };
    }
    case 4:
      return { contentType: "application/json", payload: nested(pick([10, 1_000, 20_000, 100_000])) };
    case 5: {
      const pairs = Object.entries(hostileObject()).map(([k, v]) => `${k}=${percentEncoded(asText(v))}`);
      const raw = pick(["a=%zz", "a[b]=c&a[c]=d", "=&&==", "__proto__[x]=1", "%%%", pairs.join("&")]);
      return { contentType: "application/x-www-form-urlencoded", payload: raw };
    }
    case 6:
    case 7:
      return multipart();
    case 8:
      return { contentType: "text/plain", payload: pick([jsonText(), "{bad", "prompt=a", "", "[1,2]"]) };
    case 9:
      return {
        contentType: pick([
          "application/octet-stream",
          "}{",
          "",
          "image/png",
          "application/xml",
          "text/html; charset=zz",
        ]),
        payload: Buffer.from(Array.from({ length: int(500) }, () => int(256))),
      };
    case 10:
      return {
        contentType: "application/json",
        payload: JSON.stringify({ prompt: "x".repeat(pick([10_000, 300_000])) }),
      };
    default:
      return { contentType: undefined, payload: rand() < 0.5 ? undefined : "prompt=a" };
  }
}

function pathId(): string {
  return pick([
    "1700000000000123",
    "0123456789abcdef01234567",
    "a1",
    "%00",
    "%2e%2e",
    "%E2%82%AC",
    "%",
    "9".repeat(5_000),
    "__proto__",
    "constructor",
    "-1",
    "😀",
    "%F0%9F%98%80",
    "a%2Fb",
  ]);
}

function query(): string {
  if (rand() < 0.5) return "";
  return `?${pick([
    "_id=1700000000000123",
    "limit=-1",
    "limit=1e9",
    "limit=abc",
    "cursor=%%%",
    "a=%zz",
    "__proto__[x]=1",
    "constructor[prototype][x]=1",
    `prompt=${"p".repeat(int(80_000))}`,
    "action=IMAGINE&prompt=fuzz",
    "ids=1&ids=2",
    "status=SUCCESS&action=upscale",
  ])}`;
}

function target(): { path: string; api: "mj" | "seed" | "admin-ui" } {
  const kind = int(10);
  let path: string;
  if (kind < 5) path = pick(MJ_PREFIXES) + pick(MJ_PATHS);
  else if (kind < 7) path = pick(SEED_PATHS);
  else if (kind < 8) path = pick(ADMIN_PATHS);
  else if (kind < 9) path = pick(OTHER_PATHS);
  else
    path = pick([
      "//mj//task/list",
      "/mj/task/list/",
      "/MJ/task/list",
      "/mj/./task/list",
      "/mj/task/../task/list",
      "/mj-slow/mj/task/list",
      "/admin/queues/api/x",
      "/mj/%E0%A4%A/x",
      "/docs/json",
    ]);
  path = path.replaceAll("{id}", pathId()) + query();
  const api =
    path.startsWith("/admin/queues") || path.startsWith("/docs")
      ? "admin-ui"
      : /^\/mj(-fast\/mj|-relax\/mj|-turbo\/mj)?(\/|\?|$)/.test(path.replace(/\/+/g, "/"))
        ? "mj"
        : "seed";
  return { path, api };
}

interface Answer {
  status: number;
  text: string;
}

function send(url: URL, agent: Agent, method: string, path: string, b: Body): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (b.contentType !== undefined) headers["content-type"] = b.contentType;
    const withBody = b.payload !== undefined && method !== "GET" && method !== "HEAD";
    // Node sends DELETE / OPTIONS bodies unframed unless told the length: that is garbage HTTP, not a body.
    if (withBody) headers["content-length"] = String(Buffer.byteLength(b.payload!));
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: url.hostname, port: url.port, method, path, headers, agent });
    } catch {
      return resolve(null); // Node's client refuses to send it (e.g. an invalid header): nothing to test.
    }
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${method} ${path.slice(0, 200)}`));
    }, REQUEST_TIMEOUT_MS);
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", () => {
      // The server may close a connection whose body it refused: not a 5xx.
      clearTimeout(timer);
      resolve(null);
    });
    if (withBody) req.end(b.payload);
    else req.end();
  });
}

function envelopeProblem(api: string, method: string, answer: Answer): string | null {
  if (answer.status < 400 || method === "HEAD" || api === "admin-ui") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return "not JSON";
  }
  const body = parsed as Record<string, unknown>;
  if (api === "mj") {
    const ok =
      typeof body.code === "number" &&
      body.code !== 0 &&
      typeof body.description === "string" &&
      body.result === null &&
      typeof body.properties === "object" &&
      body.properties !== null;
    return ok ? null : "not the /mj envelope";
  }
  const ok = body.code === 0 && typeof body.description === "string" && Object.keys(body).length === 2;
  return ok ? null : "not the seed envelope";
}

let h: Harness;
beforeAll(async () => {
  h = await startApi({ accounts: [accountStatus("a1", { queueSize: 100_000 })], bodyLimit: 262_144 });
});
afterAll(() => h.close());

describe("hostile traffic", () => {
  it(`${COUNT} random and hostile requests: no 5xx but 503, no hang, every refusal in its envelope`, async () => {
    const url = new URL(h.url);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const plan = Array.from({ length: COUNT }, () => ({ method: pick(METHODS), ...target(), body: body() }));
    async function lane() {
      while (next < plan.length) {
        const item = plan[next++]!;
        const started = Date.now();
        const answer = await send(url, agent, item.method, item.path, item.body);
        if (!answer) continue;
        if (process.env.FUZZ_SLOW && Date.now() - started > 300)
          console.log(
            "slow",
            Date.now() - started,
            item.method,
            item.path.slice(0, 80),
            item.body.contentType,
            String(item.body.payload).slice(0, 80),
            String(item.body.payload).length,
          );
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const where = `${item.method} ${item.path.slice(0, 120)} [${item.body.contentType}]`;
        if (answer.status >= 500 && answer.status !== 503)
          problems.push(`${answer.status} ${where}: ${answer.text.slice(0, 200)}`);
        const envelope = envelopeProblem(item.api, item.method, answer);
        if (envelope) problems.push(`${envelope} (${answer.status}) ${where}: ${answer.text.slice(0, 200)}`);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    agent.destroy();
    expect(problems.slice(0, 20)).toEqual([]);
    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(answered).toBeGreaterThan(COUNT * 0.9);
  }, 300_000);

  it("leaves the process healthy: /healthz answers and a real submit and read work", async () => {
    // The fuzz may have disabled the account through the admin routes; an operator would enable it.
    await h.directory.put(accountStatus("a1", { queueSize: 100_000 }));
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
    // The load guard may still answer 503 for the second it measures the event loop over.
    const submit = await until(
      () =>
        fetch(`${h.url}/api/v1/trigger/submit`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ action: "IMAGINE", prompt: "after the storm" }),
        }),
      (response) => response.status !== 503,
      10_000,
    );
    const submitted = await json(submit);
    expect(submitted).toMatchObject({ code: 1 });
    const task = await json(await fetch(`${h.url}/mj/task/${submitted.result}/fetch`));
    expect(task).toMatchObject({ id: submitted.result, prompt: "after the storm" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
