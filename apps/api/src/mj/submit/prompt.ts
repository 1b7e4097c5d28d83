import { type AccountStatus, allowsMode, type BotType, type SpeedMode } from "@mjg/shared";

const MODE_FLAG = /(?:^|\s)--(fast|relax|turbo)(?=\s|$)/i;
const NIJI_FLAG = /(?:^|\s)--niji(?=\s|$)/i;

/** The speed mode a prompt asks for with `--fast`, `--relax` or `--turbo`, if any. */
export function modeInPrompt(prompt: string): SpeedMode | null {
  const match = MODE_FLAG.exec(prompt);
  return match ? (match[1]!.toUpperCase() as SpeedMode) : null;
}

/** The prompt sent to Midjourney: the task's mode as a flag, unless the prompt already names one. */
export function withModeFlag(prompt: string, mode: SpeedMode | null): string {
  if (mode === null || MODE_FLAG.test(prompt)) return prompt;
  return `${prompt} --${mode.toLowerCase()}`;
}

/** TA's botType values; `--niji` in the prompt also asks for the niji bot. */
export function botTypeOf(botType: string | null | undefined, prompt = ""): BotType {
  const asked = botType?.trim().toUpperCase();
  if (asked === "NIJI" || asked === "NIJI_JOURNEY") return "NIJI_JOURNEY";
  if (asked === "MJ" || asked === "MID_JOURNEY") return "MID_JOURNEY";
  return NIJI_FLAG.test(prompt) ? "NIJI_JOURNEY" : "MID_JOURNEY";
}

/** `accountFilter` of TA (the fields this gateway honours). */
export interface AccountFilter {
  instanceId?: string | undefined;
  modes?: SpeedMode[] | undefined;
  remix?: boolean | undefined;
}

/** Whether an account may take a new task of this mode under the client's filter. */
export function accountAccepts(mode: SpeedMode | null, filter: AccountFilter | undefined) {
  return (account: AccountStatus): boolean => {
    if (!allowsMode(account, mode)) return false;
    if (filter?.instanceId && account.id !== filter.instanceId) return false;
    if (filter?.modes?.length && !filter.modes.some((wanted) => allowsMode(account, wanted))) return false;
    if (filter?.remix !== undefined && (account.remix ?? false) !== filter.remix) return false;
    return true;
  };
}

/**
 * The mode a task runs in: the prefix's (`/mj-fast` …), else the prompt's flag, else the first of
 * the filter's modes the chosen account allows, else none (the account's default).
 */
export function taskMode(
  prefixMode: SpeedMode | null,
  prompt: string,
  filter: AccountFilter | undefined,
  account: AccountStatus,
): SpeedMode | null {
  return (
    prefixMode ?? modeInPrompt(prompt) ?? filter?.modes?.find((wanted) => allowsMode(account, wanted)) ?? null
  );
}
