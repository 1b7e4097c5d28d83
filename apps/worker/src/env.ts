import { notifyEnv } from "@mjg/notify";
import { commonEnv, envBoolean } from "@mjg/shared";
import { z } from "zod";

export const workerEnv = {
  ...commonEnv,
  ...notifyEnv,
  /** Unset: allowed in sandbox mode only, where every callback target is local. */
  NOTIFY_ALLOW_PRIVATE: envBoolean.optional(),
  DISCORD_API_URL: z.string().url().default("https://discord.com/api/v9"),
  DISCORD_GATEWAY_URL: z
    .string()
    .regex(/^wss?:\/\//, "must be a ws:// or wss:// URL")
    .default("wss://gateway.discord.gg/?encoding=json&v=9"),
  /** Midjourney's activity host: Vary (Region) jobs are POSTed to `<url>/inpaint/api/submit-job`. */
  DISCORD_ACTIVITY_URL: z.string().url().default("https://936929561302675456.discordsays.com"),
  /** JSON array of accounts; unset together with MJ_ACCOUNTS_FILE means sandbox mode. */
  MJ_ACCOUNTS: z.string().optional(),
  MJ_ACCOUNTS_FILE: z.string().optional(),
  /** Name of this worker process in leases and the accounts view; defaults to host:pid. */
  WORKER_ID: z.string().max(128).optional(),
  /** An account's owner must renew its lease within this time or another worker takes over. */
  ACCOUNT_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  /** A gateway session not ready after this long is reported on its account and its handshake retried. */
  GATEWAY_READY_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  /** BullMQ job lock: a job of a dead worker runs again elsewhere after about this long. */
  JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** How long SIGTERM waits for running tasks before handing them back. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Wait before re-sending a task Midjourney refused with "Queue full". */
  QUEUE_FULL_RETRY_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  /** Secret of the worker's /metrics (as on the API: MJ_ADMIN_SECRET, else MJ_API_SECRET). */
  MJ_ADMIN_SECRET: z.string().min(1).optional(),
  MJ_API_SECRET: z.string().min(1).optional(),
  /** Port for the worker's /healthz, /readyz and /metrics; 0 picks a free one, unset disables. */
  WORKER_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Sandbox mode: number of simulated accounts and the simulator's step delay. */
  SIM_ACCOUNTS: z.coerce.number().int().min(1).max(1000).default(3),
  SIM_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(500),
};

export type WorkerEnv = z.infer<z.ZodObject<typeof workerEnv>>;
