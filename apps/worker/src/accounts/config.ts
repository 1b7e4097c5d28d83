import { readFileSync } from "node:fs";
import { type AccountConfig, AccountListSchema, EnvError } from "@mjg/shared";

/** Reads accounts from MJ_ACCOUNTS or MJ_ACCOUNTS_FILE; null means none configured (sandbox mode). */
export function loadAccounts(env: {
  MJ_ACCOUNTS?: string | undefined;
  MJ_ACCOUNTS_FILE?: string | undefined;
}): AccountConfig[] | null {
  let source: string;
  let name: string;
  if (env.MJ_ACCOUNTS) {
    source = env.MJ_ACCOUNTS;
    name = "MJ_ACCOUNTS";
  } else if (env.MJ_ACCOUNTS_FILE) {
    name = "MJ_ACCOUNTS_FILE";
    try {
      source = readFileSync(env.MJ_ACCOUNTS_FILE, "utf8");
    } catch (error) {
      throw new EnvError(
        `invalid environment:\n  MJ_ACCOUNTS_FILE: cannot read ${env.MJ_ACCOUNTS_FILE} (${(error as Error).message})`,
      );
    }
  } else {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch {
    throw new EnvError(`invalid environment:\n  ${name}: not valid JSON`);
  }
  const parsed = AccountListSchema.safeParse(json);
  if (!parsed.success) {
    // Issue messages name the field, never its value: tokens must not reach the terminal.
    const lines = parsed.error.issues.map((issue) => `  ${name}[${issue.path.join(".")}]: ${issue.message}`);
    throw new EnvError(`invalid environment:\n${lines.join("\n")}`);
  }
  return parsed.data as AccountConfig[];
}
