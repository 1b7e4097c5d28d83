import { createHash } from "node:crypto";

/** The field clients that cannot set headers send the key in (taken out before the handler reads the fields). */
export const IDEMPOTENCY_FIELD = "idempotencyKey";
export const IDEMPOTENCY_HEADER = "idempotency-key";

// Visible ASCII, as Stripe's and the IETF draft's keys: a UUID, a ULID, an order number.
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The key a request carries (header first, then the field); undefined: none; null: not a valid key. */
export function idempotencyKeyOf(header: unknown, field: unknown): string | null | undefined {
  const raw = typeof header === "string" ? header : Array.isArray(header) ? header[0] : field;
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string" && typeof raw !== "number") return null;
  const key = String(raw).trim();
  return KEY_PATTERN.test(key) ? key : null;
}

/** JSON with object keys sorted at every depth: the same fields in another order are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What "the same request" means: the route it was sent to and its fields, whatever their order. */
export function requestFingerprint(route: string, fields: Record<string, unknown>): string {
  return sha256(`${route}\n${canonicalJson(fields)}`);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
