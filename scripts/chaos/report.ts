// The figures of a `pnpm chaos` run, computed from what is left at the end: task records, the
// simulator's log of interactions, the callbacks received and the API answers seen. Pure functions.
import type { TaskRecord } from "@mjg/shared";

export interface Tracked {
  id: string;
  /** The unique word its result must carry (an upscale carries its parent's). */
  token: string;
}

export interface Interaction {
  at: number;
  nonce: string | null;
}

export interface ChaosInput {
  tracked: Tracked[];
  /** Every task record under the run's prefix (tracked or not), by id; null when missing. */
  records: Map<string, TaskRecord | null>;
  /** Interactions the simulator received, per account id. */
  interactions: Map<string, Interaction[]>;
  simDuplicateNonces: number;
  /** Statuses each task's callbacks carried. */
  callbacks: Map<string, Set<string>>;
  /** API answers with a 5xx other than 503. */
  serverErrors: number;
}

export interface ChaosReport {
  tasks: number;
  success: number;
  lost: number;
  duplicateSends: number;
  wrongResults: number;
  stuck: number;
  /** Timeouts of tasks whose send was saved but never reached Discord (the owner died in between). */
  sendWindowTimeouts: number;
  otherTimeouts: number;
  otherFailures: Record<string, number>;
  missingCallbacks: number;
  serverErrors: number;
  /** Longest time any account had a task waiting to be sent and sent nothing (ms). */
  longestIdleMs: number;
  /** Where that gap was: the account, and when it ended (ms since the epoch). */
  longestIdleAt: { accountId: string; endedAt: number } | null;
}

const TERMINAL = new Set(["SUCCESS", "FAILURE", "CANCEL"]);
const IDLE_STEP_MS = 100;

export function chaosReport(input: ChaosInput): ChaosReport {
  const { tracked, records, interactions, callbacks } = input;
  const sentNonces = new Set<string>();
  for (const list of interactions.values())
    for (const interaction of list) if (interaction.nonce) sentNonces.add(interaction.nonce);
  const knownNonces = new Set<string>();
  for (const record of records.values()) {
    if (record?.discord.nonce) knownNonces.add(record.discord.nonce);
    if (record?.discord.modalNonce) knownNonces.add(record.discord.modalNonce);
  }
  // A send no record accounts for was a second send of some task (its nonce was overwritten).
  const orphanSends = [...sentNonces].filter((nonce) => !knownNonces.has(nonce)).length;

  const report: ChaosReport = {
    tasks: tracked.length,
    success: 0,
    lost: 0,
    duplicateSends: orphanSends + input.simDuplicateNonces,
    wrongResults: 0,
    stuck: 0,
    sendWindowTimeouts: 0,
    otherTimeouts: 0,
    otherFailures: {},
    missingCallbacks: 0,
    serverErrors: input.serverErrors,
    ...longestIdleGap(tracked, records, interactions),
  };
  const resultOwners = new Map<string, number>();
  for (const { id, token } of tracked) {
    const record = records.get(id);
    if (!record) {
      report.lost++;
      continue;
    }
    if (!TERMINAL.has(record.status)) {
      report.stuck++;
      continue;
    }
    if (!callbacks.get(id)?.has(record.status)) report.missingCallbacks++;
    if (record.status === "SUCCESS") {
      report.success++;
      const said = `${record.finalPrompt ?? ""} ${record.content ?? ""}`;
      if (!said.includes(token)) report.wrongResults++;
      const messageId = record.discord.messageId;
      if (messageId) resultOwners.set(messageId, (resultOwners.get(messageId) ?? 0) + 1);
    } else if (record.failReason === "timeout") {
      const nonce = record.discord.nonce;
      if (nonce && !sentNonces.has(nonce)) report.sendWindowTimeouts++;
      else report.otherTimeouts++;
    } else {
      const reason = (record.failReason ?? record.status).slice(0, 60);
      report.otherFailures[reason] = (report.otherFailures[reason] ?? 0) + 1;
    }
  }
  // Two tasks ending on the same Midjourney message: one of them got another task's image.
  for (const count of resultOwners.values()) if (count > 1) report.wrongResults += count - 1;
  return report;
}

/**
 * Per account: the longest stretch in which a task routed to it waited to be sent (from its submit
 * to the interaction carrying its nonce, to the saving of a send that never reached Discord, or to its
 * end) while the account sent nothing at all.
 */
export function longestIdleGap(
  tracked: Tracked[],
  records: Map<string, TaskRecord | null>,
  interactions: Map<string, Interaction[]>,
): Pick<ChaosReport, "longestIdleMs" | "longestIdleAt"> {
  const sentAt = new Map<string, number>();
  for (const list of interactions.values())
    for (const interaction of list) if (interaction.nonce) sentAt.set(interaction.nonce, interaction.at);
  const waiting = new Map<string, Array<[number, number]>>();
  for (const { id } of tracked) {
    const record = records.get(id);
    if (!record?.accountId) continue;
    const sent = record.discord.nonce ? sentAt.get(record.discord.nonce) : undefined;
    // A send saved but never made (the send-window trade-off) stopped waiting for the account when it
    // was saved: from then on it waits for a result, counted among the timeouts instead.
    const end = sent ?? record.discord.sentAt ?? record.finishTime ?? Date.now();
    const list = waiting.get(record.accountId) ?? [];
    list.push([record.submitTime, end]);
    waiting.set(record.accountId, list);
  }
  let longest = 0;
  let at: ChaosReport["longestIdleAt"] = null;
  for (const [accountId, intervals] of waiting) {
    const sends = (interactions.get(accountId) ?? [])
      .map((interaction) => interaction.at)
      .sort((a, b) => a - b);
    const start = Math.min(...intervals.map(([from]) => from));
    const end = Math.max(...intervals.map(([, to]) => to));
    let idle = 0;
    let next = 0;
    for (let t = start; t <= end; t += IDLE_STEP_MS) {
      let sentNow = false;
      while (next < sends.length && sends[next]! <= t) {
        sentNow = true;
        next++;
      }
      const hasWaiting = intervals.some(([from, to]) => from <= t && t < to);
      idle = sentNow || !hasWaiting ? 0 : idle + IDLE_STEP_MS;
      if (idle > longest) {
        longest = idle;
        at = { accountId, endedAt: t };
      }
    }
  }
  return { longestIdleMs: longest, longestIdleAt: at };
}

/** The run meets the targets of issue 11. */
export function meetsTargets(report: ChaosReport, leaseMs: number): boolean {
  return (
    report.lost === 0 &&
    report.duplicateSends === 0 &&
    report.wrongResults === 0 &&
    report.stuck === 0 &&
    report.otherTimeouts === 0 &&
    report.missingCallbacks === 0 &&
    report.serverErrors === 0 &&
    report.longestIdleMs < leaseMs + 5_000
  );
}
