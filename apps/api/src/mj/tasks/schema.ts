import { MjError, TASK_ID_PATTERN } from "@mjg/shared";
import { z } from "zod";

/** At most this many ids in one `list-by-condition` call (new-api sends its unfinished tasks in batches). */
export const MAX_IDS = 500;
/** `GET /task/list` answers the newest 100 unless `limit` asks for fewer or more (up to MAX_LIST). */
export const DEFAULT_LIST = 100;
export const MAX_LIST = 500;

// DOOY's gallery sends ids as JSON numbers; a /mj id is below 2^53, so the number is exact.
const IdSchema = z.union([
  z.string().max(64),
  z
    .number()
    .int()
    .nonnegative()
    .refine((n) => Number.isSafeInteger(n))
    .transform(String),
]);

/** `{ids}` of `list-by-condition` / `list-by-ids`; null or absent reads as none. */
export const IdsInputSchema = z.object({
  ids: z.array(IdSchema).max(MAX_IDS).nullish(),
});

export const TaskIdParamsSchema = z.object({ id: z.string() });

export const ListQuerySchema = z.object({
  /** How many of the newest tasks. @defaultValue 100 */
  limit: z.coerce.number().int().min(1).max(MAX_LIST).default(DEFAULT_LIST),
});

/** The ids asked for, in order, once each; ids no task could have are dropped (they are unknown). */
export function parseIds(body: unknown): string[] {
  const parsed = IdsInputSchema.safeParse(body ?? {});
  if (!parsed.success) throw new MjError("INVALID_FIELD");
  const ids = (parsed.data.ids ?? []).map((id) => id.trim()).filter((id) => TASK_ID_PATTERN.test(id));
  return [...new Set(ids)];
}

export function parseListQuery(query: unknown): z.infer<typeof ListQuerySchema> {
  const fields = (query ?? {}) as Record<string, unknown>;
  const cleaned = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ""));
  const parsed = ListQuerySchema.safeParse(cleaned);
  if (!parsed.success) throw new MjError("INVALID_FIELD");
  return parsed.data;
}

/** A path id no task could have is simply unknown. */
export function isTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id);
}
