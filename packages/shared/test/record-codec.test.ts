import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord, PublicTaskSchema, publicTask, type TaskRecord } from "../src/task.js";
import { testRecord } from "../src/testing.js";

const HASH = "84ef41bc-48c7-4748-a81a-1e20dd5c5463";

function finished(buttons: TaskRecord["buttons"]): TaskRecord {
  return {
    ...testRecord({ _id: "1795522417429001", submitTime: 1 }),
    status: "SUCCESS",
    hash: HASH,
    buttons,
  };
}

const grid = [1, 2, 3, 4].map((i) => ({
  customId: `MJ::JOB::upsample::${i}::${HASH}`,
  emoji: "",
  label: `U${i}`,
  type: 2,
  style: 2,
}));

describe("task records as Redis keeps them", () => {
  it("read back exactly as written, buttons included", () => {
    const record = finished([
      ...grid,
      { customId: "MJ::BOOKMARK::x", emoji: "❤️", label: "", type: 2, style: 2 },
    ]);
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it("keep a grid's buttons in well under half the bytes of their JSON objects", () => {
    const record = finished(grid);
    const plain = JSON.stringify(record).length - JSON.stringify({ ...record, buttons: [] }).length;
    const kept = encodeRecord(record).length - JSON.stringify({ ...record, buttons: [] }).length;
    expect(kept).toBeLessThan(plain / 2);
  });

  it("leave out a new record's nested defaults and empty lists, and read it back whole", () => {
    const record = testRecord({ prompt: "a lighthouse at dawn" });
    const stored = encodeRecord(record);
    for (const field of ["params", "discord", "buttons", "imageUrls"])
      expect(JSON.parse(stored)).not.toHaveProperty(field);
    expect(stored.length).toBeLessThan(JSON.stringify(record).length * 0.7);
    expect(decodeRecord(stored)).toEqual(record);
    // A nested object that left its defaults is kept whole.
    const sent = { ...record, discord: { ...record.discord, nonce: "1234", sends: 1 } };
    expect(JSON.parse(encodeRecord(sent)).discord).toEqual(sent.discord);
    expect(decodeRecord(encodeRecord(sent))).toEqual(sent);
  });

  it("keep a custom id that already holds the hash mark unchanged", () => {
    const record = finished([
      { customId: `MJ::Odd::{h}::${HASH}`, emoji: "", label: "?", type: 2, style: 1 },
    ]);
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it("read records written before buttons were kept compact", () => {
    const record = finished(grid);
    expect(decodeRecord(JSON.stringify(record))).toEqual(record);
  });
});

describe("records written before a field existed", () => {
  it("read with the defaults of the fields they lack, top-level and nested", () => {
    const current = finished(grid);
    const {
      api: _api,
      mode: _mode,
      seed: _seed,
      imageUrls: _imageUrls,
      ...older
    } = JSON.parse(encodeRecord(current)) as Record<string, unknown>;
    const { remix: _remix, ...params } = current.params;
    const { modalNonce: _modalNonce, modalSentAt: _modalSentAt, ...discord } = current.discord;
    const read = decodeRecord(JSON.stringify({ ...older, params, discord }));
    expect(read).toEqual({
      ...current,
      api: "seed",
      mode: null,
      seed: null,
      imageUrls: [],
      params: { ...current.params, remix: false },
      discord: { ...current.discord, modalNonce: null, modalSentAt: null },
    });
  });
});

describe("the seed's view of a record", () => {
  it("has exactly the seed's fields, each with the record's value", () => {
    const record = finished(grid);
    const view = publicTask(record) as Record<string, unknown>;
    expect(Object.keys(view).sort()).toEqual(Object.keys(PublicTaskSchema.shape).sort());
    for (const [field, value] of Object.entries(view))
      expect(value).toEqual(record[field as keyof TaskRecord]);
  });
});
