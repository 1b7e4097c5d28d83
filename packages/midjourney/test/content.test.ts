import { describe, expect, it } from "vitest";
import {
  classifyEmbed,
  DiscordMessageSchema,
  jobHashOf,
  normalizePrompt,
  parseContent,
  promptMatches,
} from "../src/index.js";
import { fixture, hasFixtures } from "./fixtures.js";

const U = "<@1012983546824114217>";
const UID = "1012983546824114217";

// Every row of discord-protocol.md §4.2.
const table: Array<[string, Partial<ReturnType<typeof parseContent>>]> = [
  [
    `**cat** - ${U} (Waiting to start)`,
    { prompt: "cat", stage: "waiting", userId: UID, kind: "reroll-or-imagine", progress: null, mode: null },
  ],
  [
    `**a tree --v 5** - ${U} (paused) (relaxed)`,
    { prompt: "a tree --v 5", stage: "paused", mode: "relaxed" },
  ],
  [
    `**snow** - ${U} (31%) (fast)`,
    { prompt: "snow", stage: "progress", progress: 31, mode: "fast", kind: "reroll-or-imagine" },
  ],
  [`**a tree --v 5** - ${U} (Stopped)`, { prompt: "a tree --v 5", stage: "stopped" }],
  [
    `**snow** - ${U} (fast)`,
    { prompt: "snow", stage: "done", mode: "fast", kind: "reroll-or-imagine", imageIndex: null },
  ],
  [
    `**<https://s.mj.run/abc> <https://s.mj.run/def> --v 5.1** - ${U} (fast)`,
    {
      prompt: "<https://s.mj.run/abc> <https://s.mj.run/def> --v 5.1",
      stage: "done",
      kind: "reroll-or-imagine",
    },
  ],
  [
    `Upscaling image #1 with **snow** - ${U} (Waiting to start)`,
    { prompt: "snow", stage: "waiting", kind: "upscale", imageIndex: 1 },
  ],
  [
    `**snow** - Image #2 ${U}`,
    { prompt: "snow", stage: "done", kind: "upscale", imageIndex: 2, mode: null, userId: UID },
  ],
  [`**cat** - Upscaled by ${U} (fast)`, { stage: "done", kind: "upscale", mode: "fast" }],
  [`**cat** - Upscaled (Creative) by ${U} (fast)`, { stage: "done", kind: "upscale" }],
  [
    `**girl --v 7.0** - Upscaling by <@123> (31%) (fast)`,
    { prompt: "girl --v 7.0", stage: "progress", progress: 31, kind: "upscale", userId: "123" },
  ],
  [
    `Making variations for image #3 with prompt **cat** - ${U} (Waiting to start)`,
    { prompt: "cat", stage: "waiting", kind: "variation", imageIndex: 3 },
  ],
  [
    `**cat** - Variations (Strong) by ${U} (0%) (relaxed)`,
    { stage: "progress", progress: 0, kind: "variation", mode: "relaxed" },
  ],
  [`**cat** - Variations (Subtle) by ${U} (relaxed)`, { stage: "done", kind: "variation" }],
  [`**cat** - Variations by ${U} (fast)`, { stage: "done", kind: "variation" }],
  [`**cat** - Remix (Strong) by ${U} (fast)`, { stage: "done", kind: "remix" }],
  [`**rain** - Zoom Out by ${U} (relaxed)`, { stage: "done", kind: "zoom" }],
  [`**rain** - Pan Left by ${U} (relaxed)`, { stage: "done", kind: "pan" }],
  [`**car --video 1** - ${U} (75%) (fast)`, { prompt: "car --video 1", stage: "progress", progress: 75 }],
  [`**snow** - ${U} (fast, stealth)`, { stage: "done", mode: "fast" }],
  [`**snow** - ${U} (Open on website for full quality) (turbo)`, { stage: "done", mode: "turbo" }],
  [
    `**snow** - ${U} [(Open on website for full quality)](<https://midjourney.com/jobs/a03e625f-383b-4592-8121-77f87ded20d4>) (relaxed)`,
    { stage: "done", mode: "relaxed", prompt: "snow" },
  ],
  ["Failed to process your command :c", { stage: "failed", prompt: null, kind: "unknown" }],
  [
    "There was an error processing your request. Please try again later. Your trace: `aspirate-giveaway-smuggler`",
    { stage: "failed" },
  ],
  ["Done! Fast mode is on.", { stage: "unknown", prompt: null }],
];

describe("reading Midjourney's message text (§4.2)", () => {
  it.each(table)("%s", (content, expected) => {
    expect(parseContent(content)).toMatchObject(expected);
  });

  it("does not read the prompt's own brackets as progress", () => {
    expect(parseContent(`**a sign saying (50%) off** - ${U} (fast)`)).toMatchObject({
      stage: "done",
      progress: null,
    });
  });
});

describe("comparing the prompt we sent with the one Midjourney echoed", () => {
  it("ignores case, spacing and the em dash iOS types for --", () => {
    expect(normalizePrompt("  A  Cat\n—ar 16:9 ")).toBe("a cat --ar 16:9");
  });

  it("treats any link, also MJ's shortened <https://s.mj.run/…>, as the same token", () => {
    expect(normalizePrompt("https://example.com/x.png a cat")).toBe(
      normalizePrompt("<https://s.mj.run/Ab3> a cat"),
    );
  });

  it("accepts parameters Midjourney appended from the account's settings, nothing else", () => {
    expect(promptMatches("a cat", "a cat --v 6.1")).toBe(true);
    expect(promptMatches("a cat", "a cat and a dog")).toBe(false);
    expect(promptMatches("a cat", "a cats")).toBe(false);
  });
});

describe("job hash", () => {
  it.skipIf(!hasFixtures)("comes from the buttons of the captured final grid", () => {
    const final = DiscordMessageSchema.parse(fixture("gw-07-message-create-imagine-final-grid-fast.json").d);
    expect(jobHashOf(final)).toBe("a03e625f-383b-4592-8121-77f87ded20d4");
    expect(jobHashOf({ ...final, components: [] })).toBe("a03e625f-383b-4592-8121-77f87ded20d4");
  });

  it("comes from an attachment URL with ?ex=…&is=…&hm=… stripped", () => {
    const url =
      "https://cdn.discordapp.com/ephemeral-attachments/1/2/0b5cd3a1-6c1c-4b9e-8a56-2f5e6b4c7d10_0_step_31.jpeg?ex=66cf1f&is=66cdcd&hm=deadbeef0123456789abcdef0123456789abcdef0123456789abcdef01234567&";
    expect(jobHashOf({ components: [], attachments: [{ filename: "", url }] })).toBe(
      "0b5cd3a1-6c1c-4b9e-8a56-2f5e6b4c7d10",
    );
  });

  it("is null for a preview without one (grid_0.webp)", () => {
    expect(
      jobHashOf({ components: [], attachments: [{ filename: "grid_0.webp", url: "https://x/grid_0.webp" }] }),
    ).toBe(null);
  });
});

describe("error and notice embeds (§4.6)", () => {
  const cases: Array<[string, string, string]> = [
    ["Banned prompt", "terminal", "banned_prompt"],
    ["Banned prompt detected", "terminal", "banned_prompt"],
    ["Banned image prompt", "terminal", "banned_image_prompt"],
    ["Invalid parameter", "terminal", "invalid_parameter"],
    ["Invalid prompt", "terminal", "invalid_prompt"],
    ["Invalid link", "terminal", "invalid_link"],
    ["Invalid link!", "terminal", "invalid_link"],
    ["Empty prompt", "terminal", "empty_prompt"],
    ["Invalid request", "terminal", "invalid_request"],
    ["Request cancelled due to output filters", "terminal", "output_filtered"],
    ["Request cancelled due to image filters", "terminal", "output_filtered"],
    ["Image denied", "terminal", "image_denied"],
    ["Job action restricted", "terminal", "job_action_restricted"],
    ["Duplicate images detected", "terminal", "duplicate_images"],
    ["Action needed to continue", "terminal", "action_needed"],
    ["Queue full", "retryable", "queue_full"],
    ["Slow down!", "retryable", "slow_down"],
    ["Job queued", "informational", "job_queued"],
    ["Pending mod message", "account", "pending_mod_message"],
    ["Action required to continue", "account", "captcha"],
    ["Please complete the task", "account", "captcha"],
    ["Blocked", "account", "blocked"],
    ["Credits exhausted", "account", "credits_exhausted"],
    ["Subscription required", "account", "subscription_required"],
    ["Subscription paused", "account", "subscription_paused"],
    ["Plan Cancelled", "account", "plan_cancelled"],
    ["Tos not accepted", "account", "tos_not_accepted"],
  ];
  it.each(cases)("%s is %s (%s)", (title, severity, kind) => {
    expect(classifyEmbed({ title, description: "details here", color: 16711680 })).toEqual({
      severity,
      kind,
      title,
      reason: `[${title}] details here`,
    });
  });

  it("falls back to the colour for unknown titles and ignores ordinary embeds", () => {
    expect(classifyEmbed({ title: "Something new", color: 16711680 })?.severity).toBe("terminal");
    expect(classifyEmbed({ title: "Heads up", color: 16776960 })?.severity).toBe("informational");
    expect(
      classifyEmbed({ title: "Your info", description: "**Subscription**: Basic", color: 0 }),
    ).toBeNull();
    expect(classifyEmbed({ description: "1️⃣ a cat" })).toBeNull();
  });
});
