import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Real captured payloads live beside the repository, never inside it: <repo>/../shared/discord-fixtures.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const FIXTURES_DIR = resolve(repoRoot, "../shared/discord-fixtures");
export const hasFixtures = existsSync(FIXTURES_DIR);

if (!hasFixtures) {
  console.warn(`\n!!! ${FIXTURES_DIR} is missing: tests on real Discord payloads are SKIPPED !!!\n`);
}

export function fixture<T = { t: string; s: number | null; op: number; d: Record<string, unknown> }>(
  name: string,
): T {
  return JSON.parse(readFileSync(resolve(FIXTURES_DIR, name), "utf8")) as T;
}

export function fixtureLines(
  name: string,
): Array<{ t: string | null; s: number | null; op: number; d: unknown }> {
  return readFileSync(resolve(FIXTURES_DIR, name), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
