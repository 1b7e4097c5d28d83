import { ERRORS, type ErrorCode } from "@mjg/shared/errors";
import { MJ_ERRORS, type MjErrorCode } from "@mjg/shared/mj-errors";
import type { MjTask } from "@mjg/shared/mj-task";

/** Which of the gateway's two APIs answered: the seed (`/api/v1`) or midjourney-proxy's `/mj`. */
export type ApiDialect = "seed" | "mj";

/** Every error this SDK throws (besides the caller's own `AbortSignal` reason). */
export class MjgError extends Error {
  override name = "MjgError";
}

/**
 * The gateway refused a request: its HTTP status, its envelope's `code` and `description`, and
 * `reason`, the catalogue name of the refusal (e.g. `QUEUES_FULL`, `TASK_NOT_FOUND`) when known.
 */
export class MjgApiError extends MjgError {
  override name = "MjgApiError";
  readonly reason: MjErrorCode | ErrorCode | null;
  constructor(
    readonly api: ApiDialect,
    readonly status: number,
    /** `/mj`: the return code (3, 4, 9, 23, 24); seed: always 0. */
    readonly code: number,
    readonly description: string,
    readonly properties: Record<string, unknown> = {},
    /** `Retry-After` of a 429 / 503, in milliseconds. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(`${status} ${description}`);
    this.reason = api === "mj" ? mjReason(status, code, description) : seedReason(status, description);
  }

  /** 429 and 503 say "try again later"; the client already retried them as configured. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }

  /** The task (or its parent) is unknown to the gateway. */
  get notFound(): boolean {
    return this.status === 404 && this.reason !== "ROUTE_NOT_FOUND";
  }
}

/** The gateway could not be reached (refused connection, reset, DNS), after any retries. */
export class MjgNetworkError extends MjgError {
  override name = "MjgNetworkError";
}

/** The gateway answered something that is not the documented shape (a proxy's error page, say). */
export class MjgProtocolError extends MjgError {
  override name = "MjgProtocolError";
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** `waitFor` ran out of time; `task` is the last state it saw (null if it never read one). */
export class MjgTimeoutError extends MjgError {
  override name = "MjgTimeoutError";
  constructor(
    readonly taskId: string,
    readonly task: MjTask | null,
  ) {
    super(
      `task ${taskId} did not finish in time${task ? ` (last seen ${task.status} ${task.progress})` : ""}`,
    );
  }
}

// Descriptions repeat across the catalogue (参数错误); code and status together pick the first match.
function mjReason(status: number, code: number, description: string): MjErrorCode | null {
  for (const [name, entry] of Object.entries(MJ_ERRORS))
    if (entry.code === code && entry.status === status && entry.description === description)
      return name as MjErrorCode;
  return null;
}

// Seed refusals may add a detail after the catalogue sentence ("prompt is too long: at most 6000 …").
function seedReason(status: number, description: string): ErrorCode | null {
  for (const [name, entry] of Object.entries(ERRORS))
    if (
      entry.status === status &&
      (description === entry.message || description.startsWith(`${entry.message}: `))
    )
      return name as ErrorCode;
  return null;
}
