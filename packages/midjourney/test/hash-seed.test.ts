import { describe, expect, it } from "vitest";
import { jobHashOf, jobHashOfUrl, parseContent, parseSeedMessage } from "../src/index.js";

const H = "a03e625f-383b-4592-8121-77f87ded20d4";
const U = "<@1012983546824114217>";

describe("the job id in every image URL form (protocol §4.3 item 5)", () => {
  const forms: Array<[string, string]> = [
    ["a Discord final", `https://cdn.discordapp.com/attachments/1/2/fengye_snow_${H}.png`],
    ["a grid preview", `https://cdn.discordapp.com/attachments/1/2/${H}_grid_0.webp`],
    ["an upscale", `https://cdn.discordapp.com/attachments/1/2/${H}_0_0.png`],
    ["Midjourney's CDN", `https://cdn.midjourney.com/${H}/0_0.png`],
    ["Midjourney's CDN, webp", `https://cdn.midjourney.com/${H}/0_3.webp`],
    [
      "a signed URL",
      `https://cdn.discordapp.com/attachments/1/2/user_a_cat_${H}.png?ex=66cf1f&is=66cdcd&hm=0b5cd3a16c1c4b9e8a562f5e6b4c7d10&`,
    ],
    ["an upper-case id", `https://cdn.midjourney.com/${H.toUpperCase()}/0_0.png`],
  ];
  it.each(forms)("%s", (_name, url) => {
    expect(jobHashOfUrl(url)).toBe(H);
    expect(jobHashOf({ components: [], attachments: [{ filename: "", url }] })).toBe(H);
  });

  it("takes the last id of the path: a prompt slug may hold another", () => {
    const other = "0b5cd3a1-6c1c-4b9e-8a56-2f5e6b4c7d10";
    expect(jobHashOfUrl(`https://cdn.discordapp.com/attachments/1/2/u_${other}_${H}.png`)).toBe(H);
  });

  it("ignores ids in the signature or fragment and is null without one", () => {
    expect(jobHashOfUrl(`https://x.test/grid_0.webp?hm=${H}`)).toBeNull();
    expect(jobHashOfUrl("https://x.test/grid_0.webp#x")).toBeNull();
  });
});

describe("the seed DM (discord-protocol.md §4.5)", () => {
  it("reads the job id and the seed", () => {
    expect(parseSeedMessage(`**Job ID**: ${H}\n**seed** 1259687673`)).toEqual({
      jobId: H,
      seed: "1259687673",
    });
    expect(parseSeedMessage(`**Job ID**: ${H.toUpperCase()}\n**seed**: 42`)).toEqual({
      jobId: H,
      seed: "42",
    });
  });

  it("is null for other messages", () => {
    expect(parseSeedMessage("**seed** 1")).toBeNull();
    expect(parseSeedMessage(`**Job ID**: ${H}`)).toBeNull();
    expect(parseSeedMessage("")).toBeNull();
  });
});

describe("which result of a family a message is (protocol §4.2)", () => {
  const table: Array<[string, Partial<ReturnType<typeof parseContent>>]> = [
    [`**cat** - Variations (Strong) by ${U} (fast)`, { kind: "variation", variant: "strong" }],
    [`**cat** - Variations (Subtle) by ${U} (fast)`, { kind: "variation", variant: "subtle" }],
    [`**cat** - Vary (Region) by ${U} (fast)`, { kind: "variation", variant: "region" }],
    [`**cat** - Variations (Region) by ${U} (fast)`, { kind: "variation", variant: "region" }],
    [`**cat** - Remix (Strong) by ${U} (fast)`, { kind: "remix", variant: "strong" }],
    [`**cat** - Remix by ${U} (fast)`, { kind: "remix", variant: null }],
    [
      `**cat** - Upscaled (Creative) by ${U} (fast)`,
      { kind: "upscale", variant: "creative", imageIndex: null },
    ],
    [`**cat** - Upscaled (4x) by ${U} (fast)`, { kind: "upscale", variant: "4x" }],
    [
      `**girl --v 7.0** - Upscaling by ${U} (31%) (fast)`,
      { kind: "upscale", stage: "progress", variant: null },
    ],
    [`**cat** - Pan Left by ${U} (relaxed)`, { kind: "pan", variant: "left" }],
    [`**cat** - Zoom Out by ${U} (relaxed)`, { kind: "zoom", variant: null }],
    [`**cat** - Image #2 ${U}`, { kind: "upscale", imageIndex: 2, variant: null }],
  ];
  it.each(table)("%s", (content, expected) => {
    expect(parseContent(content)).toMatchObject(expected);
  });
});
