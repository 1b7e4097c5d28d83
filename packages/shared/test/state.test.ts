import { describe, expect, it } from "vitest";
import { applyPatch, canTransition, IllegalTransitionError } from "../src/state.js";
import { newTaskRecord } from "../src/task.js";
import { testRecord } from "../src/testing.js";

const fresh = () => testRecord({ _id: "65a1b2c3d4e5f60718293a4b", submitTime: 1 });

describe("task state machine", () => {
  it("moves forward through the seed's statuses", () => {
    let record = fresh();
    record = applyPatch(record, { status: "SUBMITTED" });
    record = applyPatch(record, { status: "IN_PROGRESS", progress: "31%" });
    record = applyPatch(record, { status: "SUCCESS", imageUrl: "http://x/y.png" });
    expect(record.status).toBe("SUCCESS");
    expect(record.progress).toBe("done");
    expect(record.finishTime).toBeTypeOf("number");
    expect(record.rev).toBe(3);
  });

  it("lets a gateway event overtake the submission acknowledgement", () => {
    expect(canTransition("NOT_START", "IN_PROGRESS")).toBe(true);
    expect(canTransition("IN_PROGRESS", "SUBMITTED")).toBe(false);
  });

  it("keeps terminal tasks final", () => {
    const failed = applyPatch(fresh(), { status: "FAILURE", failReason: "timeout" });
    expect(() => applyPatch(failed, { status: "SUCCESS" })).toThrow(IllegalTransitionError);
    expect(() => applyPatch(failed, { progress: "50%" })).toThrow(IllegalTransitionError);
  });

  it("describes tasks as the seed does", () => {
    expect(fresh().description).toBe("/imagine a cat");
    const upscale = newTaskRecord({
      ...fresh(),
      status: "NOT_START",
      action: "UPSCALE",
      index: 2,
      parentId: "p1",
      accountId: "a1",
    });
    expect(upscale.description).toBe("/up p1 U2");
  });
});
