import { CJK_CHARS } from "./cjk.js";

/** A piece of a prompt: natural-language text, or a span that must reach Midjourney untouched. */
export interface PromptSegment {
  kind: "text" | "kept";
  value: string;
}

// URLs end at whitespace, angle brackets or CJK text typed right after them.
const URL = `https?:\\/\\/[^\\s<>${CJK_CHARS}]+`;
// Mentions, emoji and <url> spans that Discord reads.
const ANGLE = `<[^<>]*>`;
// "--ar 16:9", "--no cars, trees", "--sref https://…", also typed straight after CJK text;
// Chinese keyboards type — or —— for --.
// Values are the non-CJK words after the name; a CJK word after a parameter is prompt text.
const PARAMETER = `(?<![^\\s${CJK_CHARS}])(?:--|——?)[A-Za-z][\\w-]*(?:\\s+(?!--|—|<)[^\\s${CJK_CHARS}]+)*`;
// Multi-prompt separators with their weight: "cat::2 dog::-0.5".
const WEIGHT = `::(?:-?\\d+(?:\\.\\d+)?)?`;

const KEPT = new RegExp(`${URL}|${ANGLE}|${PARAMETER}|${WEIGHT}`, "gu");

/** Splits a prompt into text and kept spans; joining the values gives back the prompt exactly. */
export function splitPrompt(prompt: string): PromptSegment[] {
  const segments: PromptSegment[] = [];
  let last = 0;
  for (const match of prompt.matchAll(KEPT)) {
    if (match.index > last) segments.push({ kind: "text", value: prompt.slice(last, match.index) });
    segments.push({ kind: "kept", value: match[0] });
    last = match.index + match[0].length;
  }
  if (last < prompt.length) segments.push({ kind: "text", value: prompt.slice(last) });
  return segments;
}
