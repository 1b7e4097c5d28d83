/** Seeded pseudo-random numbers so a given `seed` reproduces ids, hashes and tokens. */
export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for test data (not for secrets). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = "0123456789abcdef";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL = `${BASE62}-_`;

export function randomHex(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += HEX[(rng() * 16) | 0];
  return out;
}

export function randomBase64Url(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE64URL[(rng() * 64) | 0];
  return out;
}

/** Midjourney job hashes are UUID v4 strings (discord-protocol.md §2). */
export function uuidV4(rng: Rng): string {
  const h = randomHex(rng, 32).split("");
  h[12] = "4";
  h[16] = HEX[(Number.parseInt(h[16]!, 16) & 0x3) | 0x8]!;
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Stable short code for a string (used for s.mj.run links: same URL, same link). */
export function shortCode(input: string, length = 11): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const rng = createRng(h1 ^ h2);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[(rng() * 62) | 0];
  return out;
}
