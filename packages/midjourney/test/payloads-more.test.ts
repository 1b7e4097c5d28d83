import { describe, expect, it } from "vitest";
import {
  attachmentSlotsBody,
  blendInteraction,
  COMMAND_NAMES,
  defaultCommand,
  describeInteraction,
  findCommand,
  imageMessageBody,
  inpaintJobBody,
  MIDJOURNEY_APPLICATION_ID,
  modalSubmitInteraction,
  NIJI_APPLICATION_ID,
  shortenInteraction,
  showInteraction,
  type UploadedAttachment,
} from "../src/index.js";
import { fixture, hasFixtures } from "./fixtures.js";

const base = { guildId: "g", channelId: "c", sessionId: "0123456789abcdef0123456789abcdef", nonce: "77" };
const upload = (i: number): UploadedAttachment => ({
  id: String(i),
  filename: `img${i}.png`,
  uploadedFilename: `8f1c/img${i}.png`,
});

describe("a pop-up filled in (protocol §1.4)", () => {
  it("is a type-5 submit of the pop-up's one text field, to Midjourney unless told otherwise", () => {
    expect(
      modalSubmitInteraction({
        ...base,
        interactionId: "1200",
        modalCustomId: "MJ::RemixModal::h::1::1",
        fieldCustomId: "MJ::RemixModal::new_prompt",
        value: "a red cat",
      }),
    ).toEqual({
      type: 5,
      application_id: MIDJOURNEY_APPLICATION_ID,
      channel_id: "c",
      guild_id: "g",
      session_id: base.sessionId,
      nonce: "77",
      data: {
        id: "1200",
        custom_id: "MJ::RemixModal::h::1::1",
        components: [
          { type: 1, components: [{ type: 4, custom_id: "MJ::RemixModal::new_prompt", value: "a red cat" }] },
        ],
      },
    });
    const niji = modalSubmitInteraction({
      ...base,
      applicationId: NIJI_APPLICATION_ID,
      interactionId: "1",
      modalCustomId: "m",
      fieldCustomId: "f",
      value: "v",
    });
    expect(niji["application_id"]).toBe(NIJI_APPLICATION_ID);
  });

  it("Vary (Region) posts the mask without the data: prefix and the iframe token without MJ::iframe::", () => {
    expect(
      inpaintJobBody({
        iframeCustomId: "MJ::iframe::tok-123",
        mask: "data:image/png;base64,iVBOR",
        prompt: "hat",
      }),
    ).toEqual({
      customId: "tok-123",
      mask: "iVBOR",
      prompt: "hat",
      userId: "0",
      username: "0",
      full_prompt: null,
    });
  });
});

describe("uploads (protocol §1.5)", () => {
  it("asks for one upload slot per file, numbered from 0", () => {
    expect(
      attachmentSlotsBody([
        { filename: "a.png", size: 10 },
        { filename: "b.jpg", size: 20 },
      ]),
    ).toEqual({
      files: [
        { filename: "a.png", file_size: 10, id: "0" },
        { filename: "b.jpg", file_size: 20, id: "1" },
      ],
    });
  });

  it("posts uploaded images as a message to learn their CDN URLs", () => {
    expect(imageMessageBody([upload(0)], "upload image: 1")).toEqual({
      content: "upload image: 1",
      type: 0,
      sticker_ids: [],
      attachments: [{ id: "0", filename: "img0.png", uploaded_filename: "8f1c/img0.png" }],
    });
    expect(imageMessageBody([upload(0)])["content"]).toBe("");
  });
});

describe("the other commands (protocol §1.2)", () => {
  const describeCommand = defaultCommand("describe");

  it("/describe sends an uploaded image as attachment 0, or a link", () => {
    const body = describeInteraction({ ...base, command: describeCommand, attachment: upload(0) });
    expect(body).toMatchObject({
      type: 2,
      application_id: MIDJOURNEY_APPLICATION_ID,
      nonce: "77",
      data: {
        id: "1092492867185950852",
        name: "describe",
        type: 1,
        options: [{ type: 11, name: "image", value: 0 }],
        attachments: [{ id: "0", filename: "img0.png", uploaded_filename: "8f1c/img0.png" }],
      },
    });
    const byLink = describeInteraction({ ...base, command: describeCommand, link: "https://x.test/a.png" });
    expect(byLink["data"]).toMatchObject({
      options: [{ type: 3, name: "link", value: "https://x.test/a.png" }],
      attachments: [],
    });
  });

  it("/blend numbers its images image1..N and ends with the dimensions", () => {
    const body = blendInteraction({
      ...base,
      command: defaultCommand("blend"),
      attachments: [upload(0), upload(1), upload(2)],
      dimensions: "LANDSCAPE",
    });
    expect(body["data"]).toMatchObject({
      id: "1062880104792997970",
      name: "blend",
      options: [
        { type: 11, name: "image1", value: 0 },
        { type: 11, name: "image2", value: 1 },
        { type: 11, name: "image3", value: 2 },
        { type: 3, name: "dimensions", value: "--ar 3:2" },
      ],
      attachments: [0, 1, 2].map((i) => ({
        id: String(i),
        filename: `img${i}.png`,
        uploaded_filename: `8f1c/img${i}.png`,
      })),
    });
    const portrait = blendInteraction({
      ...base,
      command: defaultCommand("blend"),
      attachments: [upload(0), upload(1)],
      dimensions: "PORTRAIT",
    });
    expect((portrait["data"] as { options: unknown[] }).options.at(-1)).toEqual({
      type: 3,
      name: "dimensions",
      value: "--ar 2:3",
    });
  });

  it("/shorten and /show take one text option", () => {
    expect(
      shortenInteraction({ ...base, command: defaultCommand("shorten"), prompt: "a long prompt" })["data"],
    ).toMatchObject({
      id: "1121575372539039774",
      name: "shorten",
      options: [{ type: 3, name: "prompt", value: "a long prompt" }],
      attachments: [],
    });
    expect(
      showInteraction({
        ...base,
        command: defaultCommand("show"),
        jobId: "a03e625f-383b-4592-8121-77f87ded20d4",
      })["data"],
    ).toMatchObject({
      id: "1169435442328911902",
      name: "show",
      options: [{ type: 3, name: "job_id", value: "a03e625f-383b-4592-8121-77f87ded20d4" }],
    });
  });

  it("has a built-in command for every name, niji's under the niji bot", () => {
    for (const name of COMMAND_NAMES) {
      const command = defaultCommand(name);
      expect(command).toMatchObject({ name, application_id: MIDJOURNEY_APPLICATION_ID });
      expect(command.raw).toMatchObject({ id: command.id, version: command.version, name });
    }
    expect(defaultCommand("describe", NIJI_APPLICATION_ID)).toMatchObject({
      id: "1092683500743831652",
      application_id: NIJI_APPLICATION_ID,
    });
    expect(defaultCommand("blend", NIJI_APPLICATION_ID).id).toBe("1061216934374424697");
    expect(defaultCommand("shorten", NIJI_APPLICATION_ID).id).toBe("1121575453916942376");
  });

  it.skipIf(!hasFixtures)("built-in Midjourney commands match the captured index", () => {
    const index = fixture<unknown>("rest-application-command-search-response-mj.json");
    for (const name of COMMAND_NAMES) {
      const real = findCommand(index, name)!;
      const builtIn = defaultCommand(name);
      expect([builtIn.id, builtIn.version]).toEqual([real.id, real.version]);
      expect(builtIn.raw["options"]).toEqual(
        (real.raw["options"] as Array<Record<string, unknown>>).map((o) => ({
          ...o,
          required: o["required"] ?? false,
        })),
      );
    }
  });
});
