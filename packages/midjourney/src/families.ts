import { type ButtonFamily, buttonFamily } from "./buttons.js";
import type { ParsedContent } from "./content.js";
import type { TaskAction, TrackedJob } from "./jobs.js";

// How each kind of job shows up in the channel, for the correlator (discord-protocol.md §4.2, §4.5).

/** A job's family: the clicked button's, else the command's. */
export type JobFamily = ButtonFamily | "imagine" | "blend" | "describe" | "shorten" | "upload";

const BY_ACTION: Record<TaskAction, JobFamily> = {
  IMAGINE: "imagine",
  UPSCALE: "upscale",
  VARIATION: "variation",
  REROLL: "reroll",
  DESCRIBE: "describe",
  BLEND: "blend",
  SHORTEN: "shorten",
  ZOOM: "zoom",
  PAN: "pan",
  UPSCALE_HD: "upscale_hd",
  VIDEO: "video",
  ACTION: "unknown",
  UPLOAD: "upload",
};

export function familyOf(job: TrackedJob): JobFamily {
  const fromButton = job.customId ? buttonFamily(job.customId) : null;
  if (fromButton === null) return BY_ACTION[job.action];
  // A describe prompt sent through its pop-up, or "Imagine all", runs as a new /imagine.
  if (fromButton === "picreader" || fromButton === "analyzer" || fromButton === "picreader_all")
    return "imagine";
  if (fromButton === "describe_retry") return "describe";
  return fromButton;
}

/** Jobs whose messages carry their own prompt and may be found by it. */
export function matchedByPrompt(family: JobFamily): boolean {
  return family === "imagine" || family === "reroll" || family === "blend";
}

/** Jobs whose answer is an embed with text rather than an image grid (§4.5). */
export function answersWithText(family: JobFamily): boolean {
  return family === "describe" || family === "shorten";
}

/** The interaction name a command's messages carry (§4.5). */
export function commandNameOf(family: JobFamily): string | null {
  if (family === "describe" || family === "shorten" || family === "blend" || family === "imagine")
    return family;
  return null;
}

/** What the result's "(…)" says for a button (Strong / Subtle / Region / Creative / 2x / left …). */
function expectedVariant(customId: string | undefined): string | null {
  if (!customId) return null;
  const id = customId.toLowerCase();
  if (id.includes("::high_variation::")) return "strong";
  if (id.includes("::low_variation::")) return "subtle";
  if (id.startsWith("mj::inpaint::")) return "region";
  const pan = /::pan_(left|right|up|down)::/.exec(id);
  if (pan) return pan[1]!;
  const upscale = /::upsample_[a-z0-9_]+?_(subtle|creative|2x|4x)::/.exec(id);
  if (upscale) return upscale[1]!;
  return null;
}

function variantFits(job: TrackedJob, parsed: ParsedContent): boolean {
  const expected = expectedVariant(job.customId);
  return expected === null || parsed.variant === null || parsed.variant === expected;
}

/**
 * Whether a reply to a job's parent message reads like that job's message (§4.2). `waiting`:
 * the "Waiting to start" / progress message, which for one-image buttons (zoom, pan, Vary, HD
 * upscale) reads like an imagine's (gw-11); else the result.
 */
export function kindFits(
  job: TrackedJob,
  family: JobFamily,
  parsed: ParsedContent,
  waiting: boolean,
): boolean {
  const plain = parsed.kind === "reroll-or-imagine";
  const remix = parsed.kind === "remix";
  switch (family) {
    case "upscale":
      if (parsed.kind !== "upscale") return false;
      if (parsed.imageIndex !== null) return parsed.imageIndex === quadrantOf(job);
      // "Upscaled (Subtle) by" is an HD upscale's; a plain "Upscaled by" is a legacy U's.
      return parsed.variant === null;
    case "upscale_hd":
      if (waiting && plain) return true;
      return parsed.kind === "upscale" && parsed.imageIndex === null && variantFits(job, parsed);
    case "variation":
      if (parsed.kind === "variation" && parsed.imageIndex !== null)
        return parsed.imageIndex === quadrantOf(job);
      if (waiting && plain) return isSolo(job);
      // Results name no quadrant; with Remix mode on, a variation reads "Remix … by".
      return (
        !waiting &&
        (parsed.kind === "variation" || remix) &&
        parsed.variant !== "region" &&
        variantFits(job, parsed)
      );
    case "region":
      if (waiting) return plain || parsed.kind === "variation" || remix;
      return (
        (parsed.kind === "variation" || remix) && (parsed.variant === null || parsed.variant === "region")
      );
    case "zoom":
    case "custom_zoom":
      return parsed.kind === "zoom" || remix || (waiting && plain);
    case "pan":
      return (parsed.kind === "pan" && variantFits(job, parsed)) || remix || (waiting && plain);
    case "reroll":
    case "video":
      return plain || remix;
    case "unknown":
      // A button we do not know: whatever replies to the clicked message.
      return true;
    default:
      return false;
  }
}

/** The image a button acts on: the job's index, else the custom id's (1 for "::SOLO" buttons, §2). */
function quadrantOf(job: TrackedJob): number | undefined {
  if (job.index !== undefined && job.index !== null) return job.index;
  const match = job.customId ? /^MJ::JOB::[a-z0-9_]+::(\d)::/i.exec(job.customId) : null;
  return match ? Number(match[1]) : undefined;
}

/** Buttons on an upscaled image end in "::SOLO" (one image), unlike grid U/V (§2). */
function isSolo(job: TrackedJob): boolean {
  return !!job.customId && /::SOLO$/i.test(job.customId);
}
