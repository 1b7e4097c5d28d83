import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startApi } from "./harness.js";
import { expectRefusal, finishedTask, HASH, jpeg, png, post, redisState } from "./mj-submit-helpers.js";

// Every validation row of the contract's tables (and this gateway's own limits), each its own test:
// the /mj refusal envelope with code 4 and a 4xx, and nothing written to Redis.

let h: Harness;
let parentId: string;
beforeAll(async () => {
  h = await startApi();
  parentId = (await finishedTask(h))._id;
});
afterAll(() => h.close());

const text = (length: number) => "a".repeat(length);
const notImage = `data:image/png;base64,${Buffer.from("plain text, not an image").toString("base64")}`;
// A 20 MB base64 body (15 MB decoded): over the 10 MB a single image may have.
const huge = () => `data:image/png;base64,${"iVBORw0KGgo".padEnd(20 * 1024 * 1024, "A")}`;
const six = () => [1, 2, 3, 4, 5, 6].map((n) => png(20 + n));

type Row = [name: string, path: string, body: unknown | (() => unknown), status: number, description: string];

const ROWS: Row[] = [
  // imagine (§2.1, §2.2)
  ["imagine without a prompt", "imagine", {}, 400, "prompt不能为空"],
  ["imagine with a blank prompt", "imagine", { prompt: "   " }, 400, "prompt不能为空"],
  ["imagine with a null prompt", "imagine", { prompt: null }, 400, "prompt不能为空"],
  ["imagine with a prompt of the wrong type", "imagine", { prompt: ["x"] }, 400, "参数错误"],
  ["imagine with a prompt over the limit", "imagine", { prompt: text(6_001) }, 400, "prompt过长"],
  [
    "imagine with base64Array not a list",
    "imagine",
    { prompt: "x", base64Array: png() },
    400,
    "base64格式错误",
  ],
  ["imagine with a number as an image", "imagine", { prompt: "x", base64Array: [42] }, 400, "base64格式错误"],
  [
    "imagine with an image that is no data URL",
    "imagine",
    { prompt: "x", base64Array: ["abcd"] },
    400,
    "base64格式错误",
  ],
  [
    "imagine with a data URL of another type",
    "imagine",
    { prompt: "x", base64Array: ["data:text/plain;base64,aGVsbG8="] },
    400,
    "base64格式错误",
  ],
  [
    "imagine with bytes that are no image",
    "imagine",
    { prompt: "x", base64Array: [notImage] },
    400,
    "base64格式错误",
  ],
  [
    "imagine with broken base64",
    "imagine",
    { prompt: "x", base64Array: ["data:image/png;base64,iVBOR w0K!!"] },
    400,
    "base64格式错误",
  ],
  [
    "imagine with six reference images",
    "imagine",
    () => ({ prompt: "x", base64Array: six() }),
    400,
    "图片数量过多，最多5张",
  ],
  [
    "imagine with five in base64Array and one in base64",
    "imagine",
    () => ({ prompt: "x", base64Array: six().slice(0, 5), base64: png() }),
    400,
    "图片数量过多，最多5张",
  ],
  [
    "imagine with a 20 MB base64",
    "imagine",
    () => ({ prompt: "x", base64Array: [huge()] }),
    400,
    "图片过大，每张最大10MB",
  ],
  [
    "imagine with a bad base64 (the older field)",
    "imagine",
    { prompt: "x", base64: "nope" },
    400,
    "base64格式错误",
  ],
  [
    "a state over 255 characters",
    "imagine",
    { prompt: "x", state: text(256) },
    400,
    "State参数过长，最大255字符",
  ],
  ["a state of the wrong type", "imagine", { prompt: "x", state: { a: 1 } }, 400, "参数错误"],
  [
    "a notifyHook over 2000 characters",
    "imagine",
    { prompt: "x", notifyHook: `https://example.com/${text(2_000)}` },
    400,
    "NotifyHook参数过长，最大2000字符",
  ],
  [
    "a notifyHook that is no URL",
    "imagine",
    { prompt: "x", notifyHook: "nope" },
    400,
    "notifyHook须为 http(s) 地址",
  ],
  [
    "a notifyHook that is not http(s)",
    "imagine",
    { prompt: "x", notifyHook: "ftp://e.com/x" },
    400,
    "notifyHook须为 http(s) 地址",
  ],
  [
    "a notifyHook on a private address",
    "imagine",
    { prompt: "x", notifyHook: "http://127.0.0.1:9/x" },
    400,
    "notifyHook不能指向内网或本机地址",
  ],
  ["a botType of the wrong type", "imagine", { prompt: "x", botType: 7 }, 400, "参数错误"],
  [
    "an accountFilter that is no object",
    "imagine",
    { prompt: "x", accountFilter: "a1" },
    400,
    "accountFilter参数错误",
  ],
  [
    "an accountFilter with an unknown mode",
    "imagine",
    { prompt: "x", accountFilter: { modes: ["SLOW"] } },
    400,
    "accountFilter参数错误",
  ],
  ["malformed JSON", "imagine", "{bad", 400, "请求体格式错误"],
  ["a JSON array as the body", "imagine", "[1,2]", 400, "请求体格式错误"],
  ["a JSON string as the body", "imagine", '"prompt"', 400, "请求体格式错误"],
  ["a prototype key in the body", "imagine", '{"prompt":"x","__proto__":{"a":1}}', 400, "请求体格式错误"],
  ["a body over the limit of a text route", "shorten", { prompt: text(400_000) }, 413, "请求体过大"],

  // change (§2.3)
  ["change without taskId", "change", { action: "UPSCALE", index: 1 }, 400, "taskId不能为空"],
  [
    "change with a blank taskId",
    "change",
    { taskId: " ", action: "UPSCALE", index: 1 },
    400,
    "taskId不能为空",
  ],
  [
    "change with taskId an object",
    "change",
    { taskId: { id: 1 }, action: "UPSCALE", index: 1 },
    400,
    "taskId不能为空",
  ],
  [
    "change with taskId a fraction",
    "change",
    { taskId: 1.5, action: "UPSCALE", index: 1 },
    400,
    "taskId不能为空",
  ],
  [
    "change with taskId beyond 2^53",
    "change",
    '{"taskId":18014398509481984123,"action":"UPSCALE","index":1}',
    400,
    "taskId不能为空",
  ],
  ["change without action", "change", () => ({ taskId: parentId, index: 1 }), 400, "action参数错误"],
  [
    "change with an unknown action",
    "change",
    () => ({ taskId: parentId, action: "DANCE", index: 1 }),
    400,
    "action参数错误",
  ],
  [
    "change with index 5",
    "change",
    () => ({ taskId: parentId, action: "UPSCALE", index: 5 }),
    400,
    "index参数错误",
  ],
  [
    "change with index abc",
    "change",
    () => ({ taskId: parentId, action: "VARIATION", index: "abc" }),
    400,
    "index参数错误",
  ],
  ["change U without index", "change", () => ({ taskId: parentId, action: "UPSCALE" }), 400, "index参数错误"],

  // simple-change (§2.4)
  ["simple-change without content", "simple-change", {}, 400, "content参数错误"],
  ["simple-change with one part", "simple-change", () => ({ content: parentId }), 400, "content参数错误"],
  [
    "simple-change with three parts",
    "simple-change",
    () => ({ content: `${parentId} U1 x` }),
    400,
    "content参数错误",
  ],
  ["simple-change with U5", "simple-change", () => ({ content: `${parentId} U5` }), 400, "content参数错误"],
  ["simple-change with X1", "simple-change", () => ({ content: `${parentId} X1` }), 400, "content参数错误"],

  // describe (§2.5)
  ["describe with neither base64 nor link", "describe", {}, 400, "base64或link不能为空"],
  ["describe with blank base64 and link", "describe", { base64: "", link: "" }, 400, "base64或link不能为空"],
  ["describe with a bad base64", "describe", { base64: "data:image/png;base64,@@@@" }, 400, "base64格式错误"],
  [
    "describe with a link that is not http(s)",
    "describe",
    { link: "ftp://e.com/a.png" },
    400,
    "link格式错误",
  ],
  ["describe with a link of the wrong type", "describe", { link: 12 }, 400, "link格式错误"],
  ["describe with a 20 MB base64", "describe", () => ({ base64: huge() }), 400, "图片过大，每张最大10MB"],

  // blend (§2.6)
  ["blend without images", "blend", {}, 400, "base64List参数错误"],
  ["blend with one image", "blend", { base64Array: [png()] }, 400, "base64List参数错误"],
  ["blend with six images", "blend", () => ({ base64Array: six() }), 400, "base64List参数错误"],
  ["blend with base64Array not a list", "blend", { base64Array: "x" }, 400, "base64List参数错误"],
  ["blend with a bad image", "blend", { base64Array: [png(), notImage] }, 400, "base64格式错误"],
  [
    "blend with null dimensions",
    "blend",
    { base64Array: [png(), jpeg()], dimensions: null },
    400,
    "dimensions参数错误",
  ],
  [
    "blend with unknown dimensions",
    "blend",
    { base64Array: [png(), jpeg()], dimensions: "WIDE" },
    400,
    "dimensions参数错误",
  ],

  // shorten (§2.7)
  ["shorten with a blank prompt", "shorten", { prompt: "" }, 400, "prompt不能为空"],

  // action (§2.8)
  ["action without taskId", "action", { customId: `MJ::JOB::upsample::1::${HASH}` }, 400, "参数错误"],
  ["action without customId", "action", () => ({ taskId: parentId }), 400, "参数错误"],
  [
    "action with customId of the wrong type",
    "action",
    () => ({ taskId: parentId, customId: 5 }),
    400,
    "参数错误",
  ],
  [
    "action with enableRemix of the wrong type",
    "action",
    () => ({ taskId: parentId, customId: `MJ::JOB::upsample::1::${HASH}`, enableRemix: "maybe" }),
    400,
    "参数错误",
  ],

  // modal (§2.9)
  ["modal without taskId", "modal", { prompt: "x" }, 400, "参数错误"],
  [
    "modal with a prompt of the wrong type",
    "modal",
    { taskId: "1700000000000001", prompt: 5 },
    400,
    "参数错误",
  ],
  [
    "modal with a bad mask",
    "modal",
    { taskId: "1700000000000001", maskBase64: "nope" },
    400,
    "base64格式错误",
  ],

  // upload-discord-images (§2.10)
  ["upload without images", "upload-discord-images", {}, 400, "base64 参数错误"],
  ["upload with an empty list", "upload-discord-images", { base64Array: [] }, 400, "base64 参数错误"],
  [
    "upload with six images",
    "upload-discord-images",
    () => ({ base64Array: six() }),
    400,
    "图片数量过多，最多5张",
  ],
  ["upload with a bad image", "upload-discord-images", { base64Array: ["x"] }, 400, "base64格式错误"],
];

describe("every validation row is refused with code 4 and writes nothing", () => {
  for (const [name, route, body, status, description] of ROWS) {
    it(`refuses ${name}`, async () => {
      const before = await redisState(h);
      const payload = typeof body === "function" ? body() : body;
      const answer = await post(h, `/mj/submit/${route}`, payload);
      expectRefusal(answer, status, 4, description);
      expect(await redisState(h)).toEqual(before);
    });
  }

  it("refuses an unsupported content type with 415 in the /mj envelope", async () => {
    const before = await redisState(h);
    const answer = await post(h, "/mj/submit/imagine", "<x/>", { "content-type": "application/xml" });
    expectRefusal(answer, 415, 4);
    expect(await redisState(h)).toEqual(before);
  });

  it("refuses a multipart body that does not match its boundary with 400", async () => {
    const before = await redisState(h);
    const answer = await post(h, "/mj/submit/imagine", "--nope\r\ngarbage", {
      "content-type": "multipart/form-data; boundary=abc",
    });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(4);
    expect(await redisState(h)).toEqual(before);
  });
});
