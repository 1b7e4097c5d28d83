/** Discord epoch (2015-01-01T00:00:00Z) in ms; snowflakes count from it (discord-protocol.md §1.1). */
export const DISCORD_EPOCH = 1_420_070_400_000;

const EPOCH = BigInt(DISCORD_EPOCH);
// Random worker/process bits so that two worker processes on one account do not mint the same nonce.
const PROCESS_BITS = BigInt(Math.floor(Math.random() * 1024));
let lastMs = -1n;
let increment = 0n;

/**
 * A Discord-epoch snowflake, unique and strictly increasing within this process: time in the
 * high bits, random process bits, then a 12-bit counter in the low bits.
 * @param now - wall clock in ms; @defaultValue Date.now()
 */
export function nextSnowflake(now: number = Date.now()): string {
  let ms = BigInt(Math.max(0, Math.floor(now))) - EPOCH;
  if (ms < 0n) ms = 0n;
  // A clock that steps back must not make nonces go backwards.
  if (ms <= lastMs) {
    ms = lastMs;
    increment += 1n;
    if (increment > 4095n) {
      ms += 1n;
      increment = 0n;
    }
  } else {
    increment = 0n;
  }
  lastMs = ms;
  return ((ms << 22n) | (PROCESS_BITS << 12n) | increment).toString();
}

/** The creation time (ms since 1970) encoded in a snowflake id, or null when it is not one. */
export function snowflakeTime(id: string): number | null {
  if (!/^\d{1,20}$/.test(id)) return null;
  return Number((BigInt(id) >> 22n) + EPOCH);
}
