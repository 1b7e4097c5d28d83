import { randomFillSync, randomInt } from "node:crypto";

// Random bytes drawn 4 KB at a time: one call to the CSPRNG per 512 ids instead of one per id.
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A 24-hex task id shaped like a MongoDB ObjectId (the seed's `_id`): seconds then randomness. */
export function newTaskId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, "0");
  return seconds + randomHex(8);
}

let lastNumericId = 0;

/**
 * A `/mj` task id: epoch ms followed by three digits, as midjourney-proxy clients expect, below
 * 2^53 so clients that send it back as a JSON number keep it exact. Monotonic within a process;
 * across processes the record's `SET NX` refuses a repeat and the caller draws again.
 */
export function newNumericTaskId(now = Date.now()): string {
  const candidate = now * 1000 + randomInt(1000);
  lastNumericId = Math.max(candidate, lastNumericId + 1);
  return String(lastNumericId);
}

/** Both id shapes: the seed's 24 hex digits and the `/mj` API's 16 decimal digits. */
export const TASK_ID_PATTERN = /^(?:[0-9a-f]{24}|\d{13,17})$/;
