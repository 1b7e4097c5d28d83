/** Retry-After is obeyed when it asks for more than the schedule, up to this much. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
const JITTER = 0.2;

/** `Retry-After` as delta-seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(date - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Delay before the retry that follows attempt number `attempt` (1-based), or null when the schedule
 * is exhausted. The schedule step gets ±20% jitter so a burst of failures does not retry in lockstep;
 * a larger Retry-After wins.
 */
export function retryDelayMs(
  attempt: number,
  scheduleSeconds: readonly number[],
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const step = scheduleSeconds[attempt - 1];
  if (step === undefined) return null;
  const jittered = Math.round(step * 1000 * (1 + (random() * 2 - 1) * JITTER));
  return Math.max(jittered, retryAfterMs ?? 0);
}
