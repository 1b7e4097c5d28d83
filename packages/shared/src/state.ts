import { isTerminal, type TaskRecord, type TaskStatus } from "./task.js";

// Forward-only: a gateway event may overtake the 204 that marks SUBMITTED, so later states may skip earlier ones.
// A MODAL task waits for its pop-up's prompt; once given, it is queued like any other (NOT_START).
const NEXT: Record<TaskStatus, readonly TaskStatus[]> = {
  MODAL: ["MODAL", "NOT_START", "FAILURE", "CANCEL"],
  NOT_START: ["NOT_START", "SUBMITTED", "IN_PROGRESS", "SUCCESS", "FAILURE", "CANCEL"],
  SUBMITTED: ["SUBMITTED", "IN_PROGRESS", "SUCCESS", "FAILURE", "CANCEL"],
  IN_PROGRESS: ["IN_PROGRESS", "SUCCESS", "FAILURE", "CANCEL"],
  SUCCESS: [],
  FAILURE: [],
  CANCEL: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return NEXT[from].includes(to);
}

export type TaskPatch = Partial<Omit<TaskRecord, "_id" | "rev" | "discord">> & {
  discord?: Partial<TaskRecord["discord"]>;
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: TaskStatus,
    readonly to: TaskStatus,
  ) {
    super(`illegal task transition ${from} -> ${to}`);
  }
}

// Facts read later about a finished job (its seed) may be added to a terminal record; nothing else.
const ANNOTATIONS: ReadonlySet<string> = new Set(["seed"]);

function isAnnotation(patch: TaskPatch): boolean {
  const fields = Object.keys(patch);
  return fields.length > 0 && fields.every((field) => ANNOTATIONS.has(field));
}

/** Applies a patch through the state machine; terminal records never change again (but for annotations). */
export function applyPatch(record: TaskRecord, patch: TaskPatch): TaskRecord {
  if (isTerminal(record.status) && isAnnotation(patch))
    return { ...record, seed: patch.seed ?? record.seed, rev: record.rev + 1 };
  const to = patch.status ?? record.status;
  if (isTerminal(record.status) || !canTransition(record.status, to)) {
    throw new IllegalTransitionError(record.status, to);
  }
  const next: TaskRecord = {
    ...record,
    ...patch,
    discord: { ...record.discord, ...patch.discord },
    rev: record.rev + 1,
  };
  if (to === "SUCCESS") next.progress = "done";
  if (isTerminal(to) && next.finishTime === null) next.finishTime = Date.now();
  return next;
}

/** Progress only moves forward: "31%" never follows "62%". */
export function progressPercent(progress: string): number {
  const match = /^(\d+)%$/.exec(progress);
  return match ? Number(match[1]) : 0;
}
