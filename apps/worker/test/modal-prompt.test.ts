import { DEFAULT_PARAMS, type TaskRecord } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { describe, expect, it } from "vitest";
import { decodeDataUrl, maskBase64 } from "../src/tasks/images.js";
import { modalPrompt } from "../src/tasks/modal.js";

const HASH = "a03e625f-383b-4592-8121-77f87ded20d4";

type TaskShape = Partial<Omit<TaskRecord, "params">> & { params?: Partial<TaskRecord["params"]> };

function task(extra: TaskShape = {}): TaskRecord {
  const { params, ...rest } = extra;
  return {
    ...testRecord({
      _id: "1795522417429001",
      action: "VARIATION",
      prompt: null,
      parentId: "1795522417429000",
      submitTime: 1,
      api: "mj",
      params: params ?? {},
    }),
    ...rest,
    params: { ...DEFAULT_PARAMS, ...params },
  };
}

const parent = (extra: Partial<TaskRecord> = {}): TaskRecord => ({
  ...task({ action: "IMAGINE", parentId: null, prompt: "a red fox", promptEn: "a red fox --v 7" }),
  _id: "1795522417429000",
  hash: HASH,
  finalPrompt: "a red fox --v 7",
  ...extra,
});

describe("the prompt a Midjourney pop-up is answered with", () => {
  it("is the client's modal prompt when it gave one", () => {
    const record = task({
      params: { customId: `MJ::JOB::variation::2::${HASH}`, modalPrompt: "a blue fox" },
    });
    expect(modalPrompt(record, parent())).toBe("a blue fox");
  });

  it("falls back to the parent's echoed prompt, so an unexpected Remix pop-up never hangs the task", () => {
    const record = task({ params: { customId: `MJ::JOB::pan_left::1::${HASH}::SOLO` } });
    expect(modalPrompt(record, parent())).toBe("a red fox --v 7");
  });

  it("adds a zoom factor to a Custom Zoom prompt that has none", () => {
    const record = task({
      action: "ZOOM",
      params: { customId: `MJ::CustomZoom::${HASH}`, modalPrompt: "a fox" },
    });
    expect(modalPrompt(record, parent())).toBe("a fox --zoom 2");
    const given = task({
      action: "ZOOM",
      params: { customId: `MJ::CustomZoom::${HASH}`, modalPrompt: "a fox --zoom 1.5" },
    });
    expect(modalPrompt(given, parent())).toBe("a fox --zoom 1.5");
  });

  it("takes the n-th prompt of a describe result for its numbered button", () => {
    const describe = parent({
      action: "DESCRIBE",
      finalPrompt: "1️⃣ a cat on a mat --ar 5:4\n\n2️⃣ a dog in fog --ar 5:4\n\n3️⃣ three birds\n\n4️⃣ four fish",
    });
    const record = task({ action: "IMAGINE", params: { customId: "MJ::Job::PicReader::2" } });
    expect(modalPrompt(record, describe)).toBe("a dog in fog --ar 5:4");
  });
});

describe("input images as the API stores them", () => {
  it("decodes a PNG data URL into bytes, type and a file name", () => {
    const png = Buffer.from("89504e470d0a1a0a0000", "hex");
    const image = decodeDataUrl(`data:image/png;base64,${png.toString("base64")}`, "t-0");
    expect(image).toEqual({ bytes: png, mime: "image/png", filename: "t-0.png" });
  });

  it("refuses what is not an image data URL", () => {
    expect(decodeDataUrl("data:text/plain;base64,aGk=", "t")).toBeNull();
    expect(decodeDataUrl("https://example.com/a.png", "t")).toBeNull();
    expect(decodeDataUrl("data:image/png;base64,", "t")).toBeNull();
  });

  it("hands Vary Region's mask over without its data-URL prefix", () => {
    expect(maskBase64("data:image/png;base64,iVBORw0K")).toBe("iVBORw0K");
  });
});
