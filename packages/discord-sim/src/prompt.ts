import { shortCode } from "./rng.js";

/** Parameters Midjourney accepts (docs.midjourney.com parameter list); anything else is "Invalid parameter". */
const KNOWN_PARAMS = new Set([
  "ar",
  "aspect",
  "chaos",
  "c",
  "no",
  "q",
  "quality",
  "seed",
  "sameseed",
  "stop",
  "style",
  "s",
  "stylize",
  "tile",
  "v",
  "version",
  "niji",
  "iw",
  "weird",
  "w",
  "r",
  "repeat",
  "relax",
  "fast",
  "turbo",
  "raw",
  "sref",
  "cref",
  "cw",
  "sw",
  "sv",
  "p",
  "personalize",
  "video",
  "draft",
  "exp",
  "oref",
  "ow",
  "hd",
  "test",
  "testp",
  "creative",
  "uplight",
  "upbeta",
  "upanime",
  "profile",
  "motion",
  "loop",
  "end",
  "bs",
  "public",
  "stealth",
]);

const URL_RE = /<?(https?:\/\/[^\s>]+)>?/g;

/**
 * The prompt as Midjourney echoes it inside `**…**`: em dashes become `--`, runs of spaces
 * collapse, image URLs become `<https://s.mj.run/…>` links (discord-protocol.md §4.2, §4.5).
 */
export function echoPrompt(raw: string): string {
  return raw
    .replace(/\u2014/g, "--")
    .replace(URL_RE, (_m, url: string) =>
      url.startsWith("https://s.mj.run/") ? `<${url}>` : `<https://s.mj.run/${shortCode(url)}>`,
    )
    .replace(/\s+/g, " ")
    .trim();
}

export type PromptProblem =
  | { kind: "banned"; word: string }
  | { kind: "invalid-parameter"; description: string }
  | { kind: "empty" };

/** Checks Midjourney makes before queueing a job; null when the prompt is fine. */
export function checkPrompt(prompt: string, bannedWords: readonly string[]): PromptProblem | null {
  const text = prompt.replace(/<https?:\/\/[^>]+>/g, " ").trim();
  if (text === "" && !/<https?:/.test(prompt)) return { kind: "empty" };
  const lower = text.toLowerCase();
  for (const word of bannedWords) {
    const w = word.toLowerCase().trim();
    if (w && new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(w)}($|[^\\p{L}\\p{N}])`, "u").test(lower)) {
      return { kind: "banned", word };
    }
  }
  const params = [...text.matchAll(/(?:^|\s)--([A-Za-z][\w-]*)(?:\s+([^\s-][^\s]*))?/g)];
  for (const [, name, value] of params) {
    const key = name!.toLowerCase();
    if (!KNOWN_PARAMS.has(key)) {
      return { kind: "invalid-parameter", description: `Unrecognized parameter(s): \`--${name}\`` };
    }
    if (key === "ar" || key === "aspect") {
      const m = /^(\d+):(\d+)$/.exec(value ?? "");
      if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) {
        return { kind: "invalid-parameter", description: `Invalid aspect ratio \`${value ?? ""}\`` };
      }
    }
  }
  return null;
}

/** File-name slug Midjourney builds from the prompt words: `fengye_snow_<hash>.png` (fixture gw-07). */
export function promptSlug(prompt: string): string {
  const words = prompt
    .replace(/<https?:\/\/[^>]+>/g, " ")
    .replace(/\s--\S+(\s+[^\s-]\S*)?/g, " ")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return (words.slice(0, 60).replace(/_+$/, "") || "image").replace(/_+/g, "_");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
