import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { newNumericTaskId } from "../src/ids.js";
import { keySpace } from "../src/keys.js";
import { TaskStore } from "../src/store.js";
import { dropPrefix, testRecord, testRedis, uniquePrefix } from "../src/testing.js";

const redis = testRedis();
let prefix: string;
let store: TaskStore;

beforeEach(() => {
  prefix = uniquePrefix("images");
  store = new TaskStore({ redis, keys: keySpace(prefix), retentionMs: 60_000, timeoutMs: 600_000 });
});
afterEach(() => dropPrefix(redis, prefix));
afterAll(() => redis.quit());

async function withImages(): Promise<string> {
  const id = newNumericTaskId();
  await store.create(
    testRecord({ _id: id, action: "DESCRIBE", prompt: null, api: "mj", params: { imageCount: 1 } }),
  );
  await redis.rpush(keySpace(prefix).taskImages(id), "data:image/png;base64,iVBORw0KGgo=");
  return id;
}

describe("a task's input images", () => {
  it("stay while the task runs and are gone once it has ended", async () => {
    const id = await withImages();
    const images = keySpace(prefix).taskImages(id);
    await store.update(id, () => ({ status: "SUBMITTED" }));
    expect(await redis.exists(images)).toBe(1);
    await store.update(id, () => ({ status: "FAILURE", failReason: "test" }));
    expect(await redis.exists(images)).toBe(0);
  });

  it("go with a record that is removed because it could not be queued", async () => {
    const id = await withImages();
    await store.remove(id);
    expect(await redis.exists(keySpace(prefix).taskImages(id))).toBe(0);
  });
});
