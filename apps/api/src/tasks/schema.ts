import { ApiError, TaskActionSchema, TaskStatusSchema } from "@mjg/shared";
import { z } from "zod";

export const FetchInputSchema = z.object({
  _id: z.preprocess(
    (value) => (typeof value === "number" ? String(value) : value),
    z.string().min(1).max(64),
  ),
});

export const LIST_MAX = 500;

export const ListInputSchema = z.object({
  /** Page size. @defaultValue 50 */
  limit: z.coerce.number().int().min(1).max(LIST_MAX).default(50),
  /** The `x-next-cursor` header of the previous page. */
  cursor: z.string().max(200).optional(),
  status: z.preprocess((v) => (typeof v === "string" ? v.toUpperCase() : v), TaskStatusSchema).optional(),
  action: z.preprocess((v) => (typeof v === "string" ? v.toUpperCase() : v), TaskActionSchema).optional(),
  state: z.string().max(4096).optional(),
});

export function parseFetchInput(fields: Record<string, unknown>) {
  const parsed = FetchInputSchema.safeParse(fields);
  if (!parsed.success) throw new ApiError("ID_REQUIRED");
  return parsed.data;
}

export function parseListInput(fields: Record<string, unknown>) {
  const cleaned = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ""));
  const parsed = ListInputSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError("INVALID_FIELD", `${String(issue.path[0] ?? "query")}: ${issue.message}`);
  }
  return parsed.data;
}
