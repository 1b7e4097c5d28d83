import { describe, expect, it } from "vitest";
import {
  type ButtonPlan,
  buttonsOf,
  fieldIdOf,
  modalIdsFor,
  picReaderPrompts,
  planButton,
} from "../src/index.js";
import { fixture, hasFixtures } from "./fixtures.js";

const H = "a03e625f-383b-4592-8121-77f87ded20d4";
const plan = (action: ButtonPlan["action"], extra: Partial<ButtonPlan> = {}): ButtonPlan => ({
  action,
  index: null,
  modal: "never",
  iframe: false,
  bookmark: false,
  ...extra,
});

describe("what clicking a Midjourney button starts (the /mj action table)", () => {
  const table: Array<[string, ButtonPlan]> = [
    [`MJ::JOB::upsample::3::${H}`, plan("UPSCALE", { index: 3 })],
    [`MJ::JOB::variation::2::${H}`, plan("VARIATION", { index: 2, modal: "remix" })],
    [`MJ::JOB::high_variation::1::${H}::SOLO`, plan("VARIATION", { modal: "remix" })],
    [`MJ::JOB::low_variation::1::${H}::SOLO`, plan("VARIATION", { modal: "remix" })],
    [`MJ::Inpaint::1::${H}::SOLO`, plan("VARIATION", { modal: "always", iframe: true })],
    [`MJ::Outpaint::50::1::${H}::SOLO`, plan("ZOOM")],
    [`MJ::Outpaint::75::1::${H}::SOLO`, plan("ZOOM")],
    [`MJ::CustomZoom::${H}`, plan("ZOOM", { modal: "always" })],
    [`MJ::JOB::pan_left::1::${H}::SOLO`, plan("PAN", { modal: "remix" })],
    [`MJ::JOB::pan_down::1::${H}::SOLO`, plan("PAN", { modal: "remix" })],
    [`MJ::JOB::upsample_v6_2x_subtle::1::${H}::SOLO`, plan("UPSCALE_HD")],
    [`MJ::JOB::upsample_v7_2x_creative::1::${H}::SOLO`, plan("UPSCALE_HD")],
    [`MJ::JOB::upsample_v5_4x::1::${H}::SOLO`, plan("UPSCALE_HD")],
    [`MJ::JOB::animate_high::1::${H}::SOLO`, plan("VIDEO", { modal: "remix" })],
    ["MJ::Picread::Retry", plan("DESCRIBE")],
    ["MJ::Job::PicReader::2", plan("IMAGINE", { modal: "always" })],
    ["MJ::Job::PicReader::all", plan("IMAGINE")],
    ["MJ::Job::PromptAnalyzer::5", plan("IMAGINE", { modal: "always" })],
    [`MJ::BOOKMARK::${H}`, plan("ACTION", { bookmark: true })],
    [`MJ::SomethingNew::1::${H}`, plan("ACTION")],
  ];
  it.each(table)("%s", (customId, expected) => {
    expect(planButton(customId, "IMAGINE")).toEqual(expected);
  });

  it("a reroll redoes its parent's action, and an upscaled image's reroll is a new imagine", () => {
    const reroll = `MJ::JOB::reroll::0::${H}::SOLO`;
    expect(planButton(reroll, "VARIATION")).toEqual(plan("VARIATION", { modal: "remix" }));
    expect(planButton(reroll, "BLEND")?.action).toBe("BLEND");
    expect(planButton(reroll, "UPSCALE")?.action).toBe("IMAGINE");
  });

  it("is null for non-Midjourney ids and buttons a task never clicks", () => {
    for (const id of [
      "",
      "https://www.midjourney.com/app/jobs/x/",
      `MJ::CancelJob::ByJobid::${H}`,
      "MJ::Prompts::Appeal::abc",
      "MJ::Settings::HighVariabilityMode::1",
    ]) {
      expect(planButton(id, "IMAGINE")).toBeNull();
    }
  });
});

describe("the buttons a task shows", () => {
  it("keeps custom_id, emoji and label and drops the Web link", () => {
    const rows = [
      {
        type: 1,
        components: [
          {
            type: 2,
            style: 2,
            label: "Vary (Strong)",
            emoji: { name: "🪄" },
            custom_id: `MJ::JOB::high_variation::1::${H}::SOLO`,
          },
          { type: 2, style: 2, emoji: { name: "⬅️" }, custom_id: `MJ::JOB::pan_left::1::${H}::SOLO` },
        ],
      },
      {
        type: 1,
        components: [
          { type: 2, style: 2, emoji: { name: "❤️" }, custom_id: `MJ::BOOKMARK::${H}` },
          { type: 2, style: 5, label: "Web", url: `https://www.midjourney.com/app/jobs/${H}/` },
        ],
      },
    ];
    expect(buttonsOf(rows)).toEqual([
      {
        customId: `MJ::JOB::high_variation::1::${H}::SOLO`,
        emoji: "🪄",
        label: "Vary (Strong)",
        type: 2,
        style: 2,
      },
      { customId: `MJ::JOB::pan_left::1::${H}::SOLO`, emoji: "⬅️", label: "", type: 2, style: 2 },
      { customId: `MJ::BOOKMARK::${H}`, emoji: "❤️", label: "", type: 2, style: 2 },
    ]);
    expect(buttonsOf(null)).toEqual([]);
    expect(buttonsOf([{ type: 1 }])).toEqual([]);
  });

  it.skipIf(!hasFixtures)("reads the captured grid's U1-U4, 🔄 and V1-V4 in order", () => {
    const final = fixture("gw-07-message-create-imagine-final-grid-fast.json").d;
    const buttons = buttonsOf(final["components"]);
    expect(buttons.map((b) => b.label || b.emoji)).toEqual([
      "U1",
      "U2",
      "U3",
      "U4",
      "🔄",
      "V1",
      "V2",
      "V3",
      "V4",
    ]);
    expect(buttons[0]).toEqual({
      customId: `MJ::JOB::upsample::1::${H}`,
      emoji: "",
      label: "U1",
      type: 2,
      style: 2,
    });
  });
});

describe("pop-up ids (protocol §1.4)", () => {
  const MSG = "1127633074377728010";
  const table: Array<[string, string, string]> = [
    [`MJ::CustomZoom::${H}`, `MJ::OutpaintCustomZoomModal::${H}`, "MJ::OutpaintCustomZoomModal::prompt"],
    [`MJ::JOB::variation::3::${H}`, `MJ::RemixModal::${H}::3::1`, "MJ::RemixModal::new_prompt"],
    [`MJ::JOB::high_variation::1::${H}::SOLO`, `MJ::RemixModal::${H}::1::1`, "MJ::RemixModal::new_prompt"],
    [`MJ::JOB::low_variation::1::${H}::SOLO`, `MJ::RemixModal::${H}::1::0`, "MJ::RemixModal::new_prompt"],
    [`MJ::JOB::reroll::0::${H}::SOLO`, `MJ::ImagineModal::${MSG}`, "MJ::ImagineModal::new_prompt"],
    [`MJ::JOB::pan_up::1::${H}::SOLO`, `MJ::PanModal::up::${H}::1`, "MJ::PanModal::prompt"],
    ["MJ::Job::PicReader::4", "MJ::Picreader::Modal::4", "MJ::Picreader::Modal::PromptField"],
    ["MJ::Job::PromptAnalyzer::2", `MJ::ImagineModal::${MSG}`, "MJ::ImagineModal::new_prompt"],
    [
      `MJ::JOB::animate_low_extend::1::${H}::SOLO`,
      `MJ::AnimateModal::${H}::1::low::1`,
      "MJ::AnimateModal::prompt",
    ],
  ];
  it.each(table)("%s opens %s", (customId, modalCustomId, fieldCustomId) => {
    expect(modalIdsFor(customId, MSG)).toEqual({ modalCustomId, fieldCustomId });
  });

  it("has none for buttons without a text pop-up (Vary (Region) opens an editor)", () => {
    expect(modalIdsFor(`MJ::Inpaint::1::${H}::SOLO`, MSG)).toBeNull();
    expect(modalIdsFor(`MJ::JOB::upsample::1::${H}`, MSG)).toBeNull();
  });

  it("reads the text field's id from the pop-up Discord sent", () => {
    const components = [
      {
        type: 1,
        components: [
          { type: 4, custom_id: "MJ::RemixModal::new_prompt", style: 2, label: "New prompt", value: "cat" },
        ],
      },
    ];
    expect(fieldIdOf(components)).toBe("MJ::RemixModal::new_prompt");
    expect(fieldIdOf([])).toBeNull();
    expect(fieldIdOf(undefined)).toBeNull();
  });
});

describe("/describe's prompts", () => {
  it("splits the four numbered prompts and drops the keycaps", () => {
    const text =
      "1️⃣ A cat on a sofa --ar 5:4\n\n2️⃣ a painting of a cat, 1980s style --ar 5:4\n\n3️⃣ cat --ar 5:4\n\n4️⃣ a cat 2 --ar 5:4";
    expect(picReaderPrompts(text)).toEqual([
      "A cat on a sofa --ar 5:4",
      "a painting of a cat, 1980s style --ar 5:4",
      "cat --ar 5:4",
      "a cat 2 --ar 5:4",
    ]);
  });

  it("also reads keycaps without the variation selector, and nothing from plain text", () => {
    expect(picReaderPrompts("1\u20E3 one\n2\u20E3 two")).toEqual(["one", "two"]);
    expect(picReaderPrompts("no prompts here")).toEqual([]);
  });
});
