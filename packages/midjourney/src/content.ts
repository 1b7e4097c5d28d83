// Midjourney message text: prompt, progress, mode, stage and kind (discord-protocol.md §4.2).

export type Stage = "waiting" | "progress" | "done" | "stopped" | "paused" | "failed" | "unknown";
export type ContentKind =
  | "imagine"
  | "upscale"
  | "variation"
  | "reroll-or-imagine"
  | "zoom"
  | "pan"
  | "remix"
  | "unknown";

export interface ParsedContent {
  prompt: string | null;
  progress: number | null;
  mode: "fast" | "relaxed" | "turbo" | null;
  userId: string | null;
  stage: Stage;
  /** "imagine" is never inferred from text alone: an imagine and a reroll read the same (see parseMessage). */
  kind: ContentKind;
  imageIndex: number | null;
  /**
   * The word that tells results of one family apart, lower case: "strong" / "subtle" / "region"
   * for variations and remixes, "subtle" / "creative" / "2x" / "4x" for upscales, the pan direction.
   */
  variant: string | null;
}

const PROMPT = /\*\*([\s\S]*?)\*\*/;
const PROGRESS = /\((\d{1,3})%\)/;
const MODE = /\((fast|relaxed|turbo)(?:, stealth)?\)\s*$/;
const USER = /<@!?(\d+)>/;

/** Reads everything the §4.2 table shows from one message's content. */
export function parseContent(content: string): ParsedContent {
  const text = content.trim();
  const promptMatch = PROMPT.exec(text);
  const prompt = promptMatch ? promptMatch[1]!.trim() : null;
  // Everything after the prompt: the prompt itself may contain "(…)" or "#1".
  const head = promptMatch ? text.slice(0, promptMatch.index) : "";
  const tail = promptMatch ? text.slice(promptMatch.index + promptMatch[0].length) : text;

  const progressMatch = PROGRESS.exec(tail);
  const progress = progressMatch ? Number(progressMatch[1]) : null;
  const modeMatch = MODE.exec(tail);
  const mode = modeMatch ? (modeMatch[1] as ParsedContent["mode"]) : null;
  const userMatch = USER.exec(tail);
  const userId = userMatch ? userMatch[1]! : null;

  let stage: Stage = "unknown";
  if (/^(Failed|There was an error processing your request)/i.test(text)) stage = "failed";
  else if (/\(Waiting to start\)/i.test(tail)) stage = "waiting";
  else if (/\(Stopped\)/i.test(tail)) stage = "stopped";
  else if (/\(paused\)/i.test(tail)) stage = "paused";
  else if (progress !== null) stage = "progress";
  else if (prompt !== null && userId !== null) stage = "done";

  let kind: ContentKind = "unknown";
  let imageIndex: number | null = null;
  const waitingUpscale = /Upscaling image #(\d)/i.exec(head);
  const waitingVariation = /Making variations for image #(\d)/i.exec(head);
  const upscaleDone = /Image #(\d)/.exec(tail);
  if (waitingUpscale) {
    kind = "upscale";
    imageIndex = Number(waitingUpscale[1]);
  } else if (waitingVariation) {
    kind = "variation";
    imageIndex = Number(waitingVariation[1]);
  } else if (upscaleDone) {
    kind = "upscale";
    imageIndex = Number(upscaleDone[1]);
  } else if (/ - Upscal(?:ed|ing)\b[^<]*\bby\b/i.test(tail)) kind = "upscale";
  else if (/ - (?:Variations|Vary)\b[^<]*\bby\b/i.test(tail)) kind = "variation";
  else if (/ - Remix\b[^<]*\bby\b/i.test(tail)) kind = "remix";
  else if (/ - Zoom Out\b[^<]*\bby\b/i.test(tail)) kind = "zoom";
  else if (/ - Pan (?:Left|Right|Up|Down)\b[^<]*\bby\b/i.test(tail)) kind = "pan";
  else if (prompt !== null) kind = "reroll-or-imagine";

  const variantMatch =
    / - (?:Variations|Vary|Remix|Upscaled|Upscaling|Zoom Out) \(([^)]+)\) by\b/i.exec(tail) ??
    / - Pan (Left|Right|Up|Down) by\b/i.exec(tail);
  const variant = variantMatch ? variantMatch[1]!.trim().toLowerCase() : null;

  return { prompt, progress, mode, userId, stage, kind, imageIndex, variant };
}

const URL_TOKEN = "<url>";

/**
 * Canonical form of a prompt, to compare what we sent with what Midjourney echoed: MJ turns
 * "—" into "--" and shortens links to <https://s.mj.run/…> (§4.2), so links become one token.
 */
export function normalizePrompt(prompt: string): string {
  return prompt
    .replace(/<https?:\/\/[^>\s]*>/gi, URL_TOKEN)
    .replace(/https?:\/\/\S+/gi, URL_TOKEN)
    .replace(/[—–]/g, "--")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/**
 * True when an echoed prompt is the one we sent: equal once normalised, or ours followed by
 * parameters Midjourney appended (an account's /settings or /prefer suffix adds e.g. "--v 6").
 */
export function promptMatches(sent: string, echoed: string): boolean {
  const a = normalizePrompt(sent);
  const b = normalizePrompt(echoed);
  if (a === b) return true;
  return a.length > 0 && b.startsWith(a + " --");
}
