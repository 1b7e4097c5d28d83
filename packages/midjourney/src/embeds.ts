// Midjourney's error and notice embeds (discord-protocol.md §4.6).

export type EmbedSeverity = "terminal" | "retryable" | "informational" | "account";
/** Which Midjourney notice it is, for code that must not parse the reason text. */
export type EmbedKind =
  | "banned_prompt"
  | "banned_image_prompt"
  | "invalid_parameter"
  | "invalid_prompt"
  | "invalid_link"
  | "empty_prompt"
  | "invalid_request"
  | "output_filtered"
  | "image_denied"
  | "job_action_restricted"
  | "duplicate_images"
  | "action_needed"
  | "queue_full"
  | "slow_down"
  | "job_queued"
  | "pending_mod_message"
  | "captcha"
  | "blocked"
  | "credits_exhausted"
  | "subscription_required"
  | "subscription_paused"
  | "plan_cancelled"
  | "tos_not_accepted"
  /** A titled embed in the error colour that no row names. */
  | "error"
  /** A titled embed in a warning colour that no row names. */
  | "warning";

export type EmbedClass = { severity: EmbedSeverity; kind: EmbedKind; title: string; reason: string };

/** Title prefixes (lower case) and what they mean for the task and the account (§4.6 table). */
const TITLES: ReadonlyArray<readonly [string, EmbedSeverity, EmbedKind]> = [
  ["banned prompt", "terminal", "banned_prompt"],
  ["banned image prompt", "terminal", "banned_image_prompt"],
  ["invalid parameter", "terminal", "invalid_parameter"],
  ["invalid prompt", "terminal", "invalid_prompt"],
  ["invalid link", "terminal", "invalid_link"],
  ["empty prompt", "terminal", "empty_prompt"],
  ["invalid request", "terminal", "invalid_request"],
  ["request cancelled due to", "terminal", "output_filtered"],
  ["image denied", "terminal", "image_denied"],
  ["job action restricted", "terminal", "job_action_restricted"],
  ["duplicate images detected", "terminal", "duplicate_images"],
  // AI-moderation appeal: recoverable by a human only, so the task fails (§4.6).
  ["action needed to continue", "terminal", "action_needed"],
  ["queue full", "retryable", "queue_full"],
  // Not seen in any source (§4.6 "[?]"): treated as a rate notice.
  ["slow down", "retryable", "slow_down"],
  ["job queued", "informational", "job_queued"],
  ["pending mod message", "account", "pending_mod_message"],
  ["action required to continue", "account", "captcha"],
  ["please complete the task", "account", "captcha"],
  ["blocked", "account", "blocked"],
  ["credits exhausted", "account", "credits_exhausted"],
  ["subscription required", "account", "subscription_required"],
  ["subscription paused", "account", "subscription_paused"],
  ["plan cancelled", "account", "plan_cancelled"],
  ["tos not accepted", "account", "tos_not_accepted"],
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
  let kind: EmbedKind = "error";
  if (key !== "") {
    for (const [prefix, value, named] of TITLES) {
      if (key.startsWith(prefix)) {
        severity = value;
        kind = named;
        break;
      }
    }
  }
  if (severity === null && embed.color !== undefined) {
    if (ERROR_COLORS.has(embed.color)) severity = "terminal";
    else if (WARNING_COLORS.has(embed.color)) {
      severity = "informational";
      kind = "warning";
    }
  }
  if (severity === null) return null;
  const reason = description === "" ? `[${title}]` : `[${title}] ${description}`;
  return { severity, kind, title, reason };
}
