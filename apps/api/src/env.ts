import { commonEnv, envBoolean } from "@mjg/shared";
import { translateEnv } from "@mjg/translate";
import { z } from "zod";

export const apiEnv = {
  ...commonEnv,
  ...translateEnv,
  /** Port of the HTTP API. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** When set, every API call needs the header `mj-api-secret` (or `Authorization: Bearer`). */
  MJ_API_SECRET: z.string().min(1).optional(),
  /** Separate secret for /admin and /metrics; defaults to MJ_API_SECRET. */
  MJ_ADMIN_SECRET: z.string().min(1).optional(),
  /** Mean event-loop lag (ms) above which the API answers 503 OVERLOADED; 0 turns the guard off. */
  OVERLOAD_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /** Sandbox mode is when neither is set; only their presence matters to the API. */
  MJ_ACCOUNTS: z.string().optional(),
  MJ_ACCOUNTS_FILE: z.string().optional(),
  /** Allow notifyHook targets on loopback/private addresses (default: true in sandbox mode only). */
  NOTIFY_ALLOW_PRIVATE: envBoolean.optional(),
  /** Largest accepted request body in bytes. */
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(262_144),
  /** Longest accepted prompt in characters. */
  PROMPT_MAX_LENGTH: z.coerce.number().int().min(1).max(100_000).default(6_000),
};

export type ApiEnv = z.infer<z.ZodObject<typeof apiEnv>>;

export function isSandbox(env: {
  MJ_ACCOUNTS?: string | undefined;
  MJ_ACCOUNTS_FILE?: string | undefined;
}): boolean {
  return !env.MJ_ACCOUNTS && !env.MJ_ACCOUNTS_FILE;
}
