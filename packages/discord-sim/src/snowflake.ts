/** Discord snowflakes: (ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment. */
export const DISCORD_EPOCH = 1420070400000;

export type SnowflakeSource = () => string;

/** Strictly increasing ids, even when many are made in the same millisecond. */
export function createSnowflakes(workerId = 1, processId = 0): SnowflakeSource {
  let lastMs = 0;
  let increment = 0;
  const low = (BigInt(workerId & 31) << 17n) | (BigInt(processId & 31) << 12n);
  return () => {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      increment = 0;
    } else if (++increment > 4095) {
      lastMs++;
      increment = 0;
    }
    return ((BigInt(lastMs - DISCORD_EPOCH) << 22n) | low | BigInt(increment)).toString();
  };
}

export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/** Discord's timestamp format: "2023-07-09T16:10:17.608000+00:00" (fixtures gw-03). */
export function discordTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace("Z", "000+00:00");
}
