/** Recursive shape comparison: same keys, nesting and value types; ids and texts may differ. */
export function shapeDiff(
  expected: unknown,
  actual: unknown,
  path = "$",
  extraAllowed: ReadonlySet<string> = new Set(),
): string[] {
  // A field the fixture has as null may be null or any type.
  if (expected === null) return [];
  const te = kind(expected);
  const ta = kind(actual);
  if (te !== ta) return [`${path}: expected ${te}, got ${ta}`];
  if (te === "array") {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length === 0 || a.length === 0) return [];
    // Compare every actual element against the first fixture element of the same position or the first one.
    return a.flatMap((item, i) =>
      shapeDiff(e[Math.min(i, e.length - 1)], item, `${path}[${i}]`, extraAllowed),
    );
  }
  if (te === "object") {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const key of Object.keys(e)) {
      if (!(key in a)) out.push(`${path}.${key}: missing`);
      else out.push(...shapeDiff(e[key], a[key], `${path}.${key}`, extraAllowed));
    }
    for (const key of Object.keys(a))
      if (!(key in e) && !extraAllowed.has(key)) out.push(`${path}.${key}: not in fixture`);
    return out;
  }
  return [];
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
