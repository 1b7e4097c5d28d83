import { MjgApiError, MjgNetworkError, MjgTimeoutError } from "../errors.js";

/** What `mjg` exits with: scripts branch on these. */
export const EXIT = {
  OK: 0,
  /** Something unexpected (a bug, an answer in no documented shape). */
  ERROR: 1,
  /** Bad arguments: the usage was printed. */
  USAGE: 2,
  /** The gateway refused the request (validation, unknown task, wrong secret). */
  REFUSED: 3,
  /** The task ended as FAILURE or CANCEL. */
  TASK_FAILED: 4,
  /** The gateway is unreachable or stayed busy (429 / 503) through the retries. */
  UNAVAILABLE: 5,
  /** `--timeout` passed before the task ended. */
  TIMEOUT: 6,
  /** Ctrl-C: the task goes on; `mjg wait <id>` picks it up again. */
  INTERRUPTED: 130,
} as const;

/** A mistake in what was typed (a missing file, say): usage, exit 2. */
export class UsageError extends Error {}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof MjgApiError) return error.retryable ? EXIT.UNAVAILABLE : EXIT.REFUSED;
  if (error instanceof MjgNetworkError) return EXIT.UNAVAILABLE;
  if (error instanceof MjgTimeoutError) return EXIT.TIMEOUT;
  return EXIT.ERROR;
}

/** One line a person reads on stderr. */
export function errorLine(error: unknown): string {
  if (error instanceof MjgApiError) {
    const name = error.reason ? `, ${error.reason}` : "";
    const code = error.api === "mj" ? `code ${error.code}${name}` : (error.reason ?? "refused");
    return `refused: ${error.description} (HTTP ${error.status}, ${code})`;
  }
  if (error instanceof MjgNetworkError) return `${error.message}: is the gateway running? (pnpm start)`;
  return error instanceof Error ? error.message : String(error);
}

/** The same for scripts (`--json`). */
export function errorJson(error: unknown): Record<string, unknown> {
  const base = { name: error instanceof Error ? error.name : "Error", message: errorLine(error) };
  if (error instanceof MjgApiError)
    return {
      ...base,
      status: error.status,
      code: error.code,
      reason: error.reason,
      description: error.description,
      properties: error.properties,
    };
  if (error instanceof MjgTimeoutError) return { ...base, taskId: error.taskId, task: error.task };
  return base;
}
