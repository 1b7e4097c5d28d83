// Midjourney's error and notice embeds (discord-protocol.md §4.6).

export type EmbedSeverity = "terminal" | "retryable" | "informational" | "account";
export type EmbedClass = { severity: EmbedSeverity; title: string; reason: string };

/** Title prefixes (lower case) and what they mean for the task and the account (§4.6 table). */
const TITLES: ReadonlyArray<readonly [string, EmbedSeverity]> = [
  ["banned prompt", "terminal"],
  ["banned image prompt", "terminal"],
  ["invalid parameter", "terminal"],
  ["invalid prompt", "terminal"],
  ["invalid link", "terminal"],
  ["empty prompt", "terminal"],
  ["invalid request", "terminal"],
  ["request cancelled due to", "terminal"],
  ["image denied", "terminal"],
  ["job action restricted", "terminal"],
  ["duplicate images detected", "terminal"],
  // AI-moderation appeal: recoverable by a human only, so the task fails (§4.6).
  ["action needed to continue", "terminal"],
  ["queue full", "retryable"],
  // Not seen in any source (§4.6 "[?]"): treated as a rate notice.
  ["slow down", "retryable"],
  ["job queued", "informational"],
  ["pending mod message", "account"],
  ["action required to continue", "account"],
  ["please complete the task", "account"],
  ["blocked", "account"],
  ["credits exhausted", "account"],
  ["subscription required", "account"],
  ["subscription paused", "account"],
  ["plan cancelled", "account"],
  ["tos not accepted", "account"],
];

const ERROR_COLORS = new Set([16711680, 15844367]);
const WARNING_COLORS = new Set([16239475, 16776960]);

/**
 * Classifies an embed Midjourney sent; null for embeds that are not errors or notices
 * (describe results, /info, …). Unknown titles fall back to the colour (§4.6 rule of thumb).
 */
export function classifyEmbed(embed: {
  title?: string;
  description?: string;
  color?: number;
}): EmbedClass | null {
  const title = (embed.title ?? "").trim();
  const description = (embed.description ?? "").trim();
  const key = title.toLowerCase();
  let severity: EmbedSeverity | null = null;
  if (key !== "") {
    for (const [prefix, value] of TITLES) {
      if (key.startsWith(prefix)) {
        severity = value;
        break;
      }
    }
  }
  if (severity === null && embed.color !== undefined) {
    if (ERROR_COLORS.has(embed.color)) severity = "terminal";
    else if (WARNING_COLORS.has(embed.color)) severity = "informational";
  }
  if (severity === null) return null;
  const reason = description === "" ? `[${title}]` : `[${title}] ${description}`;
  return { severity, title, reason };
}
