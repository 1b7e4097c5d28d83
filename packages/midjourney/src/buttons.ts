import type { TaskAction } from "./jobs.js";

// Midjourney's buttons: what clicking one starts, whether a pop-up follows, and the pop-up's ids
// (discord-protocol.md §1.4, §2).

/** "remix": a pop-up only when the account has Remix mode on. */
export type ModalNeed = "never" | "always" | "remix";

export interface ButtonPlan {
  /** The new task's action. */
  action: TaskAction;
  /** U/V quadrant 1..4 for `upsample::i` / `variation::i`, else null. */
  index: number | null;
  modal: ModalNeed;
  /** Vary (Region) opens an iframe pop-up (a mask editor), not a text pop-up (§1.4). */
  iframe: boolean;
  /** ❤️: clicked, no job follows. */
  bookmark: boolean;
}

/**
 * What a button does, as far as the correlator needs to know; finer than TaskAction because a
 * reroll keeps its parent's action and a Vary (Region) is a VARIATION.
 */
export type ButtonFamily =
  | "upscale"
  | "upscale_hd"
  | "variation"
  | "region"
  | "zoom"
  | "custom_zoom"
  | "pan"
  | "reroll"
  | "video"
  | "picreader"
  | "picreader_all"
  | "analyzer"
  | "describe_retry"
  | "bookmark"
  | "unknown";

// Buttons a task never clicks: the waiting message's Cancel Job, moderation appeals, /settings toggles, human checks.
const NOT_CLICKABLE = [/^MJ::CancelJob::/i, /^MJ::Prompts::Appeal/i, /^MJ::Settings::/i, /^MJ::Captcha::/i];

/** The family of an `MJ::…` custom id, null for ids that are not Midjourney buttons or never clicked by a task. */
export function buttonFamily(customId: string): ButtonFamily | null {
  if (!customId.startsWith("MJ::")) return null;
  if (NOT_CLICKABLE.some((re) => re.test(customId))) return null;
  const id = customId;
  if (/^MJ::JOB::upsample::\d::/i.test(id)) return "upscale";
  if (/^MJ::JOB::upsample_/i.test(id)) return "upscale_hd";
  if (/^MJ::JOB::(?:variation|high_variation|low_variation)::/i.test(id)) return "variation";
  if (/^MJ::Inpaint::/i.test(id)) return "region";
  if (/^MJ::Outpaint::/i.test(id)) return "zoom";
  if (/^MJ::CustomZoom::/i.test(id)) return "custom_zoom";
  if (/^MJ::JOB::pan_/i.test(id)) return "pan";
  if (/^MJ::JOB::reroll::/i.test(id)) return "reroll";
  if (/^MJ::JOB::(?:animate_|video_)/i.test(id)) return "video";
  if (/^MJ::Job::PicReader::all\b/i.test(id)) return "picreader_all";
  if (/^MJ::Job::PicReader::\d+$/i.test(id)) return "picreader";
  if (/^MJ::Job::PromptAnalyzer::\d+$/i.test(id)) return "analyzer";
  if (/^MJ::Picread::Retry/i.test(id)) return "describe_retry";
  if (/^MJ::BOOKMARK::/i.test(id)) return "bookmark";
  return "unknown";
}

const FAMILY_PLANS: Record<ButtonFamily, Omit<ButtonPlan, "index"> | "reroll"> = {
  upscale: { action: "UPSCALE", modal: "never", iframe: false, bookmark: false },
  upscale_hd: { action: "UPSCALE_HD", modal: "never", iframe: false, bookmark: false },
  variation: { action: "VARIATION", modal: "remix", iframe: false, bookmark: false },
  region: { action: "VARIATION", modal: "always", iframe: true, bookmark: false },
  zoom: { action: "ZOOM", modal: "never", iframe: false, bookmark: false },
  custom_zoom: { action: "ZOOM", modal: "always", iframe: false, bookmark: false },
  pan: { action: "PAN", modal: "remix", iframe: false, bookmark: false },
  reroll: "reroll",
  video: { action: "VIDEO", modal: "remix", iframe: false, bookmark: false },
  picreader: { action: "IMAGINE", modal: "always", iframe: false, bookmark: false },
  // "Imagine all": the API makes one IMAGINE task per prompt (picReaderPrompts).
  picreader_all: { action: "IMAGINE", modal: "never", iframe: false, bookmark: false },
  analyzer: { action: "IMAGINE", modal: "always", iframe: false, bookmark: false },
  describe_retry: { action: "DESCRIBE", modal: "never", iframe: false, bookmark: false },
  bookmark: { action: "ACTION", modal: "never", iframe: false, bookmark: true },
  unknown: { action: "ACTION", modal: "never", iframe: false, bookmark: false },
};

/**
 * What clicking `customId` on a task's message starts (the /mj action table). Null for ids that
 * are not `MJ::…` or that a task never clicks; unknown `MJ::` ids are clicked as is ("ACTION").
 */
export function planButton(customId: string, parentAction: TaskAction): ButtonPlan | null {
  const family = buttonFamily(customId);
  if (family === null) return null;
  const plan = FAMILY_PLANS[family];
  if (plan === "reroll") {
    // A reroll redoes the parent's job; an upscaled image's reroll is a new imagine.
    const action = parentAction === "UPSCALE" || parentAction === "UPSCALE_HD" ? "IMAGINE" : parentAction;
    return { action, index: null, modal: "remix", iframe: false, bookmark: false };
  }
  const quadrant = /^MJ::JOB::(?:upsample|variation)::(\d)::/i.exec(customId);
  return { ...plan, index: quadrant ? Number(quadrant[1]) : null };
}

const KEYCAP = /([0-9])\uFE0F?\u20E3/g;

/**
 * The prompts of a /describe (or /shorten) answer, "1️⃣ …\n\n2️⃣ …", without their keycap
 * emoji, in order (discord-protocol.md §4.5).
 */
export function picReaderPrompts(finalPrompt: string): string[] {
  const marks = [...finalPrompt.matchAll(KEYCAP)];
  const prompts: string[] = [];
  marks.forEach((mark, i) => {
    const start = mark.index + mark[0].length;
    const end = i + 1 < marks.length ? marks[i + 1]!.index : finalPrompt.length;
    const prompt = finalPrompt.slice(start, end).trim();
    if (prompt !== "") prompts.push(prompt);
  });
  return prompts;
}

export interface ButtonView {
  customId: string;
  emoji: string;
  label: string;
  type: number;
  style: number;
}

/** A message's clickable buttons, row by row; link buttons (style 5, no custom_id) are dropped (§4.4). */
export function buttonsOf(components: unknown): ButtonView[] {
  const views: ButtonView[] = [];
  if (!Array.isArray(components)) return views;
  for (const row of components) {
    const children = asRecord(row)?.["components"];
    if (!Array.isArray(children)) continue;
    for (const child of children) {
      const button = asRecord(child);
      const customId = button?.["custom_id"];
      if (!button || typeof customId !== "string" || button["type"] !== 2) continue;
      const emoji = asRecord(button["emoji"])?.["name"];
      const label = button["label"];
      views.push({
        customId,
        emoji: typeof emoji === "string" ? emoji : "",
        label: typeof label === "string" ? label : "",
        type: 2,
        style: typeof button["style"] === "number" ? button["style"] : 2,
      });
    }
  }
  return views;
}

export interface ModalIds {
  modalCustomId: string;
  fieldCustomId: string;
}

/**
 * The pop-up a button opens and its text field (discord-protocol.md §1.4 table), for when the
 * INTERACTION_MODAL_CREATE did not say. Null for buttons without a text pop-up (Vary (Region) opens an iframe).
 */
export function modalIdsFor(customId: string, clickedMessageId: string): ModalIds | null {
  for (const [pattern, ids] of MODALS) {
    const match = pattern.exec(customId);
    if (match) return ids(match, clickedMessageId);
  }
  return null;
}

const modal = (modalCustomId: string, fieldCustomId: string): ModalIds => ({ modalCustomId, fieldCustomId });

const MODALS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray, messageId: string) => ModalIds]> = [
  [
    /^MJ::CustomZoom::(.+)$/i,
    (m) => modal(`MJ::OutpaintCustomZoomModal::${m[1]}`, "MJ::OutpaintCustomZoomModal::prompt"),
  ],
  [
    /^MJ::JOB::(variation|high_variation|low_variation)::(\d)::([^:]+)/i,
    // The last part is 1 for strong, 0 for subtle; grid V's send 1 as ERT does.
    (m) =>
      modal(
        `MJ::RemixModal::${m[3]}::${m[2]}::${m[1]!.toLowerCase() === "low_variation" ? 0 : 1}`,
        "MJ::RemixModal::new_prompt",
      ),
  ],
  [
    /^MJ::JOB::reroll::|^MJ::Job::PromptAnalyzer::\d+$/i,
    (_m, messageId) => modal(`MJ::ImagineModal::${messageId}`, "MJ::ImagineModal::new_prompt"),
  ],
  [
    /^MJ::JOB::pan_(left|right|up|down)::(\d)::([^:]+)/i,
    (m) => modal(`MJ::PanModal::${m[1]}::${m[3]}::${m[2]}`, "MJ::PanModal::prompt"),
  ],
  [
    /^MJ::Job::PicReader::(\d+)$/i,
    (m) => modal(`MJ::Picreader::Modal::${m[1]}`, "MJ::Picreader::Modal::PromptField"),
  ],
  [
    /^MJ::JOB::animate_(high|low)(_extend)?::(\d)::([^:]+)/i,
    (m) => modal(`MJ::AnimateModal::${m[4]}::${m[3]}::${m[1]}::${m[2] ? 1 : 0}`, "MJ::AnimateModal::prompt"),
  ],
];

/** The text input's custom_id in an INTERACTION_MODAL_CREATE's components (type 4, §1.4). */
export function fieldIdOf(modalComponents: unknown): string | null {
  const walk = (node: unknown): string | null => {
    if (Array.isArray(node)) {
      for (const child of node) {
        const found = walk(child);
        if (found) return found;
      }
      return null;
    }
    const record = asRecord(node);
    if (!record) return null;
    if (record["type"] === 4 && typeof record["custom_id"] === "string") return record["custom_id"];
    return walk(record["components"]);
  };
  return walk(modalComponents);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
