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
  | { action: "upscale-more"; label: string; hash: string }
  | { action: "variation"; index: number; hash: string; label: string }
  | { action: "reroll"; hash: string }
  | { action: "zoom"; hash: string }
  | { action: "pan"; hash: string; label: string }
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
    if (kind.startsWith("upsample_")) {
      return {
        action: "upscale-more",
        hash,
        label: kind.includes("creative") ? "Upscaled (Creative)" : "Upscaled (Subtle)",
      };
    }
    if (kind === "variation" && index >= 1 && index <= 4) {
      return { action: "variation", index, hash, label: "Variations (Strong)" };
    }
    if (kind === "high_variation")
      return { action: "variation", index: 1, hash, label: "Variations (Strong)" };
    if (kind === "low_variation")
      return { action: "variation", index: 1, hash, label: "Variations (Subtle)" };
    if (kind === "reroll") return { action: "reroll", hash };
    if (kind.startsWith("pan_")) return { action: "pan", hash, label: `Pan ${cap(kind.slice(4))}` };
    return { action: "other", hash };
  }
  if (p[1] === "Outpaint") return { action: "zoom", hash: p[4] ?? "" };
  return { action: "other" };
}
