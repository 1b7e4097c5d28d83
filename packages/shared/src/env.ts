import { z } from "zod";

/** Booleans as operators write them in env files. */
export const envBoolean = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((value) => value === "true" || value === "1" || value === "yes");

export const redisUrl = z
  .string()
  .default("redis://127.0.0.1:6379")
  .refine((value) => /^rediss?:\/\//.test(value), "must be a redis:// or rediss:// URL");

/** `host:port,host:port,…`: seed nodes of a Redis Cluster. */
export const clusterNodes = z.string().transform((value, ctx) => {
  const nodes = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const parsed = nodes.map((entry) => /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(entry));
  if (nodes.length === 0 || parsed.some((match) => match === null || Number(match[2]) > 65_535)) {
    ctx.addIssue({ code: "custom", message: "must be host:port pairs separated by commas" });
    return z.NEVER;
  }
  return parsed.map((match) => ({ host: match![1]!.replace(/^\[|\]$/g, ""), port: Number(match![2]) }));
});

/** How every process reaches Redis: one server (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES). */
export const redisEnv = {
  /** Redis holding task records and queues; a db index in the path is honoured. */
  REDIS_URL: redisUrl,
  /** Seed nodes of a Redis Cluster; when set, every process talks to the cluster and REDIS_URL is unused. */
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  /** ACL user and password: for every cluster node, and for REDIS_URL when it carries none. */
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  /** TLS to every node (a rediss:// REDIS_URL turns it on for one server as well). */
  REDIS_TLS: envBoolean.default(false),
  /**
   * A new task is acknowledged once this many replicas hold it (WAIT), so a master failing right
   * after a submit loses no acknowledged task. 0: don't wait (no replicas).
   */
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(10).default(0),
  /** Longest wait for those replicas (ms); past it the submit is taken back and answered 503. */
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(1_000),
};

/** Variables every process reads. */
export const commonEnv = {
  ...redisEnv,
  /** Prefix of every Redis key and queue, so several deployments can share one Redis. */
  MJ_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, "letters, digits, '_', '.', '-' only")
    .default("mj"),
  /** A task with no final result this long after submission becomes FAILURE "timeout". */
  TASK_TIMEOUT_SECONDS: z.coerce.number().positive().max(86_400).default(600),
  /** Finished tasks are kept this many days, then expire and leave the list. */
  TASK_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(7),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

export class EnvError extends Error {}

/** Parses the environment once; a bad value names the variable and what is wrong with it. */
export function parseEnv<T extends z.ZodRawShape>(
  shape: T,
  source: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<T>> {
  // Empty strings mean "unset" in env files and compose files.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = z.object(shape).safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
  throw new EnvError(`invalid environment:\n${lines.join("\n")}`);
}

/** For entry points: print the reason and stop, rather than a stack trace. */
export function loadEnvOrExit<T extends z.ZodRawShape>(shape: T): z.infer<z.ZodObject<T>> {
  try {
    return parseEnv(shape);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The task timeout and retention from the environment, in the milliseconds every component works with. */
export function taskDurations(env: { TASK_TIMEOUT_SECONDS: number; TASK_RETENTION_DAYS: number }) {
  return {
    timeoutMs: Math.round(env.TASK_TIMEOUT_SECONDS * 1000),
    retentionMs: Math.round(env.TASK_RETENTION_DAYS * 86_400_000),
  };
}
