import { type Logger, type LoggerOptions, pino } from "pino";

// Anything that can hold a secret is censored wherever it appears in a log object.
export const REDACT_PATHS = [
  "token",
  "*.token",
  "*.*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  'headers["mj-api-secret"]',
  "req.headers.authorization",
  'req.headers["mj-api-secret"]',
  "secret",
  "*.secret",
  "MJ_ACCOUNTS",
  "NOTIFY_SECRET",
  "MJ_API_SECRET",
];

/**
 * Human-readable logs on a terminal; JSON when stdout is not one, in production, in CI, or with
 * LOG_FORMAT=json. LOG_FORMAT=pretty forces them on.
 */
export function prettyLogs(env: Record<string, string | undefined> = process.env): boolean {
  if (env.LOG_FORMAT === "json") return false;
  if (env.LOG_FORMAT === "pretty") return true;
  return process.stdout.isTTY === true && env.NODE_ENV !== "production" && !env.CI;
}

export function createLogger(name: string, level = "info", options: LoggerOptions = {}): Logger {
  const pretty = prettyLogs();
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true } } } : {}),
    ...options,
  });
}

export type { Logger };
