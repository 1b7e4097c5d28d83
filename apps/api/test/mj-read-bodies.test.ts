import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, json, startApi, taskKeys } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(() => h.close());

const PART = '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat';
const MALFORMED: [string, string, string][] = [
  ["multipart without a boundary", "multipart/form-data", "prompt=a cat"],
  ["multipart with an empty boundary", "multipart/form-data; boundary=", "--\r\n"],
  ["a body that does not match its boundary", "multipart/form-data; boundary=xyz", "no parts at all"],
  ["a truncated part", "multipart/form-data; boundary=xyz", PART],
  [
    "a part header that never ends",
    "multipart/form-data; boundary=xyz",
    `--xyz\r\nContent-Disposition: ${"x".repeat(200)}`,
  ],
];

const SEED_ROUTES = [
  "/api/v1/trigger/submit",
  "/api/v1/task/fetch",
  "/api/v1/task/list",
  "/api/v1/task/callbacks",
];

const MJ_ROUTES = [
  "/mj/submit/imagine",
  "/mj-fast/mj/submit/imagine",
  "/mj/task/list-by-condition",
  "/mj-relax/mj/task/list-by-ids",
  "/mj/task/1700000000000123/cancel",
];

async function post(path: string, contentType: string, body: string) {
  const response = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: response.status, body: await json(response) };
}

describe("a malformed multipart body is the client's mistake, answered 400 on every route", () => {
  for (const [name, contentType, body] of MALFORMED) {
    it(`refuses ${name} on the seed routes in the seed's envelope`, async () => {
      for (const path of SEED_ROUTES) {
        const answer = await post(path, contentType, body);
        expect(answer.status, path).toBe(400);
        expect(answer.body, path).toEqual({
          code: 0,
          description: expect.stringContaining("could not be read"),
        });
      }
      expect(await taskKeys(h)).toEqual([]);
    });
  }

  for (const [name, contentType, body] of MALFORMED) {
    it(`refuses ${name} on the /mj routes in the /mj envelope, code 4`, async () => {
      for (const path of MJ_ROUTES) {
        const answer = await post(path, contentType, body);
        expect(answer.status, path).toBe(400);
        expect(answer.body, path).toEqual({
          code: 4,
          description: expect.any(String),
          result: null,
          properties: {},
        });
      }
      expect(await taskKeys(h)).toEqual([]);
    });
  }

  it("still reads a well-formed multipart form", async () => {
    const form = new FormData();
    form.set("action", "IMAGINE");
    form.set("prompt", "a multipart cat");
    const response = await fetch(`${h.url}/api/v1/trigger/submit`, { method: "POST", body: form });
    const body = await json(response);
    expect(response.status).toBe(200);
    const task = await json(await fetch(`${h.url}/api/v1/task/fetch?_id=${body.result}`));
    expect(task.prompt).toBe("a multipart cat");
  });

  it("keeps a repeated multipart field as a list", async () => {
    const form = new FormData();
    form.append("action", "IMAGINE");
    form.append("action", "IMAGINE");
    const response = await fetch(`${h.url}/api/v1/trigger/submit`, { method: "POST", body: form });
    expect(response.status).toBe(400);
  });

  it("refuses a prototype-polluting field name with a 400", async () => {
    const answer = await post(
      "/api/v1/trigger/submit",
      "multipart/form-data; boundary=xyz",
      '--xyz\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\n{}\r\n--xyz--\r\n',
    );
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(0);
  });
});
