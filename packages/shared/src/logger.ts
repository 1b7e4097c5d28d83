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

export function createLogger(name: string, level = "info", options: LoggerOptions = {}): Logger {
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== "production" && !process.env.CI;
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true } } } : {}),
    ...options,
  });
}

export type { Logger };
