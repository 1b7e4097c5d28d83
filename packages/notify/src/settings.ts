import { envBoolean } from "@mjg/shared";
import { z } from "zod";

const backoffList = z.string().transform((value, ctx) => {
  const steps = value.split(",").map((part) => Number(part.trim()));
  if (steps.length === 0 || steps.some((step) => !Number.isFinite(step) || step < 0)) {
    ctx.addIssue({ code: "custom", message: "a comma-separated list of non-negative seconds" });
    return z.NEVER;
  }
  return steps;
});

/** Environment variables of callback delivery (parse with `parseEnv` together with the app's own). */
export const notifyEnv = {
  /**
   * Standard Webhooks signing secret (`whsec_<base64>`; without the prefix the whole value is read as
   * base64, as the Standard Webhooks libraries do); unset = deliveries are not signed.
   */
  NOTIFY_SECRET: z
    .string()
    .regex(/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/, "must be whsec_ followed by base64")
    .optional(),
  /** Allow callbacks to loopback/private addresses; the caller turns it on in sandbox mode. */
  NOTIFY_ALLOW_PRIVATE: envBoolean.default(false),
  /** Hook used for tasks submitted without a notifyHook. */
  NOTIFY_DEFAULT_HOOK: z.url({ protocol: /^https?$/ }).optional(),
  /** Also send task.submitted and task.progress events (terminal events are always sent). */
  NOTIFY_PROGRESS_EVENTS: envBoolean.default(false),
  /** Delay before each retry, in seconds; its length is the number of retries (about a day). */
  NOTIFY_BACKOFF_SECONDS: backoffList.default([5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200]),
  /** One delivery attempt may take this long, connect to last byte. */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Deliveries in flight per worker process. */
  NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(100),
} satisfies z.ZodRawShape;

export interface NotifySettings {
  /** Standard Webhooks secret; `undefined` = unsigned deliveries. */
  secret?: string;
  /** @defaultValue false */
  allowPrivate: boolean;
  defaultHook?: string;
  /** @defaultValue false */
  progressEvents: boolean;
  /** @defaultValue [5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200] */
  backoffSeconds: number[];
  /** @defaultValue 10000 */
  timeoutMs: number;
  /** @defaultValue 100 */
  concurrency: number;
}

type NotifyEnv = z.infer<z.ZodObject<typeof notifyEnv>>;

export function notifySettings(env: NotifyEnv): NotifySettings {
  return {
    secret: env.NOTIFY_SECRET,
    allowPrivate: env.NOTIFY_ALLOW_PRIVATE,
    defaultHook: env.NOTIFY_DEFAULT_HOOK,
    progressEvents: env.NOTIFY_PROGRESS_EVENTS,
    backoffSeconds: env.NOTIFY_BACKOFF_SECONDS,
    timeoutMs: env.NOTIFY_TIMEOUT_MS,
    concurrency: env.NOTIFY_CONCURRENCY,
  };
}
