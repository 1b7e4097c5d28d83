import { createRng, type Rng, randomBase64Url } from "./rng.js";
import type { SimAccount, SimAccountOptions } from "./types.js";

/** A snowflake-looking id from the rng, in a plausible 2023 range (no need to be unique across runs). */
function fakeSnowflake(rng: Rng): string {
  return (
    1_100_000_000_000_000_000n +
    BigInt(Math.floor(rng() * 1e14)) * 1000n +
    BigInt((rng() * 1000) | 0)
  ).toString();
}

/** User tokens look like base64(userId).<6>.<27> (no "Bot " prefix: discord-protocol.md §1.1). */
function fakeToken(rng: Rng, userId: string): string {
  const head = Buffer.from(userId).toString("base64url");
  return `${head}.${randomBase64Url(rng, 6)}.${randomBase64Url(rng, 38)}`;
}

export function buildAccounts(spec: number | SimAccountOptions[] | undefined, seed: number): SimAccount[] {
  const rng = createRng(seed ^ 0x5eed);
  const list: SimAccountOptions[] = Array.isArray(spec)
    ? spec
    : Array.from({ length: spec ?? 3 }, () => ({}));
  const accounts = list.map((o, i): SimAccount => {
    const userId = o.userId ?? fakeSnowflake(rng);
    return {
      id: o.id ?? `sim-${i + 1}`,
      token: o.token ?? fakeToken(rng, userId),
      guildId: o.guildId ?? fakeSnowflake(rng),
      channelId: o.channelId ?? fakeSnowflake(rng),
      userId,
      username: o.username ?? `simuser${i + 1}`,
      concurrency: o.concurrency ?? 3,
      queueSize: o.queueSize ?? 10,
      remix: o.remix ?? false,
    };
  });
  const seen = new Set<string>();
  for (const a of accounts) {
    for (const key of [`id:${a.id}`, `token:${a.token}`, `channel:${a.channelId}`]) {
      if (seen.has(key))
        throw new Error(`discord-sim: duplicate account ${key.split(":")[0]} for account ${a.id}`);
      seen.add(key);
    }
  }
  return accounts;
}
