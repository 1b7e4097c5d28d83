import { upscaleResult } from "./models.js";

/** Message texts of the Midjourney bot (discord-protocol.md §4.2). Pure string builders and parsers. */
export const MODE = "fast";

export const waitingContent = (prompt: string, userId: string) =>
  `**${prompt}** - <@${userId}> (Waiting to start)`;

export const progressContent = (prompt: string, userId: string, pct: number, label?: string) =>
  label
    ? `**${prompt}** - ${label} by <@${userId}> (${pct}%) (${MODE})`
    : `**${prompt}** - <@${userId}> (${pct}%) (${MODE})`;

export const doneContent = (prompt: string, userId: string, label?: string) =>
  label ? `**${prompt}** - ${label} by <@${userId}> (${MODE})` : `**${prompt}** - <@${userId}> (${MODE})`;

export const stoppedContent = (prompt: string, userId: string) => `**${prompt}** - <@${userId}> (Stopped)`;

export const upscaleWaitingContent = (prompt: string, userId: string, index: number) =>
  `Upscaling image #${index} with **${prompt}** - <@${userId}> (Waiting to start)`;

export const upscaleDoneContent = (prompt: string, userId: string, index: number) =>
  `**${prompt}** - Image #${index} <@${userId}>`;

export const variationWaitingContent = (prompt: string, userId: string, index: number) =>
  `Making variations for image #${index} with prompt **${prompt}** - <@${userId}> (Waiting to start)`;

/** The prompt inside the first `**…**` of a bot message. */
export function promptOf(content: string): string | undefined {
  return /\*\*(.*?)\*\*/s.exec(content)?.[1];
}

export type ButtonAction =
  | { action: "upscale"; index: number; hash: string }
  | { action: "upscale-more"; label: string; scale: 2 | 4; hash: string }
  | { action: "variation"; index: number; hash: string; strong: boolean; label: string }
  | { action: "reroll"; hash: string }
  | { action: "zoom"; hash: string }
  | { action: "custom-zoom"; hash: string }
  | { action: "pan"; hash: string; direction: string; label: string }
  | { action: "inpaint"; hash: string }
  | { action: "bookmark"; hash: string }
  | { action: "picreader"; n: number }
  | { action: "prompt-analyzer"; n: number }
  | { action: "other"; hash?: string };

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What a clicked custom_id asks Midjourney to do (discord-protocol.md §2). */
export function parseCustomId(customId: string): ButtonAction {
  const p = customId.split("::");
  if (p[0] !== "MJ") return { action: "other" };
  if (p[1] === "JOB") {
    const [, , kind = "", idx = "", hash = ""] = p;
    const index = Number(idx);
    if (kind === "upsample" && index >= 1 && index <= 4) return { action: "upscale", index, hash };
    if (kind.startsWith("upsample_")) return { action: "upscale-more", hash, ...upscaleResult(kind) };
    if (kind === "variation" && index >= 1 && index <= 4) {
      return { action: "variation", index, hash, strong: true, label: "Variations (Strong)" };
    }
    if (kind === "high_variation")
      return { action: "variation", index: 1, hash, strong: true, label: "Variations (Strong)" };
    if (kind === "low_variation")
      return { action: "variation", index: 1, hash, strong: false, label: "Variations (Subtle)" };
    if (kind === "reroll") return { action: "reroll", hash };
    if (/^pan_(left|right|up|down)$/.test(kind)) {
      const direction = kind.slice(4);
      return { action: "pan", hash, direction, label: `Pan ${cap(direction)}` };
    }
    return { action: "other", hash };
  }
  if (p[1] === "Outpaint") return { action: "zoom", hash: p[4] ?? "" };
  if (p[1] === "CustomZoom") return { action: "custom-zoom", hash: p[2] ?? "" };
  if (p[1] === "Inpaint") return { action: "inpaint", hash: p[3] ?? "" };
  if (p[1] === "BOOKMARK") return { action: "bookmark", hash: p[2] ?? "" };
  if (p[1] === "Job" && p[2] === "PicReader" && /^[1-4]$/.test(p[3] ?? ""))
    return { action: "picreader", n: Number(p[3]) };
  if (p[1] === "Job" && p[2] === "PromptAnalyzer" && /^[1-5]$/.test(p[3] ?? ""))
    return { action: "prompt-analyzer", n: Number(p[3]) };
  return { action: "other" };
}

const KEYCAP = (n: number) => `${n}\uFE0F\u20E3`;

/** Four describe prompts for an image (discord-protocol.md §4.5): deterministic per subject. */
export function describeDescription(subject: string): string {
  const s = subject.replace(/[_-]+/g, " ").trim() || "an image";
  const prompts = [
    `a simulated photograph of ${s}, soft natural light, shallow depth of field --ar 1:1`,
    `${s} in the style of a watercolor illustration, pastel colors --ar 1:1`,
    `a minimalist poster of ${s}, bold shapes, flat design --ar 1:1`,
    `a cinematic still of ${s}, dramatic lighting, 35mm film grain --ar 1:1`,
  ];
  return prompts.map((p, i) => `${KEYCAP(i + 1)} ${p}`).join("\n\n");
}

/** The /shorten embed: important tokens, then five shorter prompts (discord-protocol.md §4.5). */
export function shortenDescription(prompt: string): string {
  const params = prompt.match(/\s--\S+(?:\s+[^\s-]\S*)?/g)?.join("") ?? "";
  const words = prompt
    .replace(/\s--\S+(?:\s+[^\s-]\S*)?/g, " ")
    .split(/[\s,]+/)
    .filter(Boolean);
  const important = [...new Set(words)].sort((a, b) => b.length - a.length).slice(0, 6);
  const prompts = [5, 4, 3, 2, 1].map((k) => {
    const keep = Math.max(1, Math.ceil((words.length * k) / 5));
    return `${words.slice(0, keep).join(" ")}${params}`;
  });
  return `## Important tokens\n${important.join(", ")}\n## Shortened prompts\n${prompts
    .map((p, i) => `${KEYCAP(i + 1)} ${p}`)
    .join("\n\n")}`;
}

export const SHORTEN_FOOTER = "Click on a button to imagine one of the shortened prompts";

/** The DM Midjourney sends for a ✉️ reaction (discord-protocol.md §4.5). */
export const seedContent = (hash: string, seed: number) => `**Job ID**: ${hash}\n**seed** ${seed}`;
