import type { MjAccount } from "@mjg/shared/mj-account";
import type { MjTask } from "@mjg/shared/mj-task";
import type { BlendDimensions, BotType, SpeedMode, TaskAction, TaskStatus } from "@mjg/shared/task";
import type { RetryListener, RetryOptions } from "./http.js";

// The answers' shapes are the server's own schemas (MjAccount: `/mj/account/list`, never a token).
export type { BlendDimensions, BotType, MjAccount, MjTask, SpeedMode, TaskAction, TaskStatus };

export interface ClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The gateway's `MJ_API_SECRET`, sent as the `mj-api-secret` header. */
  secret?: string | undefined;
  /** Retries of 429 / 503 answers, honouring `Retry-After`. */
  retry?: RetryOptions;
  onRetry?: RetryListener;
  /** A `fetch` of your own (proxies, tests); defaults to the global one. */
  fetch?: typeof fetch;
  userAgent?: string;
}

/** What every submit accepts besides its own fields. */
export interface SubmitOptions {
  /** Echoed back in the task's `state`. */
  state?: string;
  /** URL the gateway calls back with the task JSON on every change. */
  notifyHook?: string;
  /**
   * Sent as `Idempotency-Key`: the same key with the same body within 24 h answers the first task
   * again instead of making a second. A fresh key is drawn for each call when absent.
   */
  idempotencyKey?: string;
  /** Speed mode: the request goes to `/mj-fast/mj`, `/mj-relax/mj` or `/mj-turbo/mj`. */
  mode?: SpeedMode;
  signal?: AbortSignal;
}

/** Which Discord account may take the task (midjourney-proxy's `accountFilter`). */
export interface AccountFilter {
  instanceId?: string;
  modes?: SpeedMode[];
  remix?: boolean;
}

export interface ImagineInput extends SubmitOptions {
  prompt: string;
  /** Reference images as data URLs (`data:image/png;base64,…`), at most 5. */
  images?: string[];
  botType?: BotType | "mj" | "niji";
  accountFilter?: AccountFilter;
}

export interface DescribeInput extends SubmitOptions {
  /** The image as a data URL… */
  image?: string;
  /** …or as an http(s) link. */
  link?: string;
  botType?: BotType | "mj" | "niji";
  accountFilter?: AccountFilter;
}

export interface BlendInput extends SubmitOptions {
  /** 2–5 images as data URLs. */
  images: string[];
  /** @defaultValue "SQUARE" */
  dimensions?: BlendDimensions;
  botType?: BotType | "mj" | "niji";
  accountFilter?: AccountFilter;
}

export interface ActionInput extends SubmitOptions {
  /** Answer the button's pop-up with the Remix prompt (the task waits as MODAL otherwise). */
  enableRemix?: boolean;
  accountFilter?: AccountFilter;
}

export interface ModalInput extends SubmitOptions {
  /** The pop-up's prompt; blank keeps the task's own. */
  prompt?: string;
  /** Vary (Region): the mask as a data URL. */
  mask?: string;
}

/** A task the gateway accepted. */
export interface Submitted {
  /** The new task's id (the first, when a button made several). */
  id: string;
  /** Every id the answer named (🎉 Imagine all makes up to four). */
  ids: string[];
  /** 1 submitted, 21 waiting for `modal()`, 22 queued behind others. */
  code: number;
  description: string;
  properties: Record<string, unknown>;
  /** The task waits for `modal()` (code 21). */
  modal: boolean;
  /** Tasks ahead of it on its account (code 22), else 0. */
  queued: number;
}

export interface ListOptions {
  /** @defaultValue 50 */
  limit?: number;
  status?: TaskStatus;
  action?: TaskAction;
  state?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface TaskPage {
  tasks: MjTask[];
  /** Pass back as `cursor` for the next (older) page; null on the last one. */
  nextCursor: string | null;
}

/** How `waitFor` learnt of a change: the server's event stream or a fetch. */
export type ProgressSource = "events" | "polling";

export interface WaitOptions {
  /** Called with each new state of the task (status, progress or preview image changed). */
  onProgress?: (task: MjTask, source: ProgressSource) => void;
  signal?: AbortSignal;
  /** Gives up with MjgTimeoutError after this long. @defaultValue no limit */
  timeoutMs?: number;
  /** Try `GET /mj/task/{id}/events` before polling. @defaultValue true */
  events?: boolean;
  /** First polling interval; it grows while nothing changes. @defaultValue 500 */
  pollIntervalMs?: number;
  /** @defaultValue 5000 */
  maxPollIntervalMs?: number;
}
