import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { UsageError } from "./exit.js";

export const DEFAULT_URL = "http://127.0.0.1:3000";

/** `~/.config/mjg/config.json` (or `--config`, `MJG_CONFIG`): what flags and env leave out. */
export const ConfigFileSchema = z.object({
  url: z
    .string()
    .regex(/^https?:\/\//i, "must be an http(s) URL")
    .optional(),
  secret: z.string().min(1).optional(),
});

export interface Settings {
  url: string;
  secret: string | undefined;
}

export interface SettingsSources {
  flags: { url?: string; secret?: string; config?: string };
  env: Record<string, string | undefined>;
  home?: string;
}

function defaultConfigPath(env: SettingsSources["env"], home: string): string {
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "mjg", "config.json");
}

function readConfig(path: string, explicit: boolean): z.infer<typeof ConfigFileSchema> {
  if (!existsSync(path)) {
    if (explicit) throw new UsageError(`config file not found: ${path}`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UsageError(`config file is not JSON: ${path}`);
  }
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(`config file ${path}: ${parsed.error.issues.map((i) => `${i.path}: ${i.message}`)}`);
  return parsed.data;
}

/** Flags win over env (`MJG_URL`, `MJG_SECRET`), env over the config file, the file over the default. */
export function resolveSettings({ flags, env, home = homedir() }: SettingsSources): Settings {
  const explicit = flags.config ?? env.MJG_CONFIG;
  const file = readConfig(explicit ?? defaultConfigPath(env, home), explicit !== undefined);
  const url = flags.url ?? (env.MJG_URL || undefined) ?? file.url ?? DEFAULT_URL;
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`--url must be an http(s) URL: ${url}`);
  return { url, secret: flags.secret ?? (env.MJG_SECRET || undefined) ?? file.secret };
}

/**
 * Where relative paths are meant from: `pnpm mjg` runs in the workspace root, so the directory
 * the user typed it in is INIT_CWD.
 */
export function userPath(path: string, env: SettingsSources["env"] = process.env): string {
  if (isAbsolute(path)) return path;
  const base = env.npm_lifecycle_event === "mjg" && env.INIT_CWD ? env.INIT_CWD : process.cwd();
  return resolve(base, path);
}
