// The one banner `pnpm start` ends with: where everything is and what to type first.
import type { RedisChoice } from "./sandbox-redis.js";
import { redacted } from "./sandbox-redis.js";

export interface BannerFields {
  mode: "sandbox" | "discord";
  api: string;
  docs: string;
  queues: string;
  redis: string;
  try: string;
}

export function bannerFields(input: {
  address: string;
  sandbox: boolean;
  redis: RedisChoice;
  apiSecret: boolean;
  adminSecret: boolean;
}): BannerFields {
  // A wildcard listen address is reached on loopback from this machine.
  const api = input.address.replace("0.0.0.0", "127.0.0.1").replace("[::]", "127.0.0.1");
  const secret = input.apiSecret ? "MJG_SECRET=<MJ_API_SECRET> " : "";
  const url = api === "http://127.0.0.1:3000" ? "" : `MJG_URL=${api} `;
  const command = input.sandbox ? 'imagine "a lighthouse at dawn" --wait --out ./out' : "accounts";
  return {
    mode: input.sandbox ? "sandbox" : "discord",
    api,
    docs: `${api}/docs`,
    queues: `${api}/admin/queues${input.adminSecret ? " (admin secret)" : ""}`,
    redis: input.redis.private
      ? `private redis-server on 127.0.0.1:${input.redis.private.port} (stopped with this process)`
      : redacted(input.redis.url),
    try: `${url}${secret}pnpm mjg ${command}`,
  };
}

export function banner(fields: BannerFields): string {
  const title =
    fields.mode === "sandbox"
      ? "Midjourney API gateway · sandbox mode (simulated Discord, no real images)"
      : "Midjourney API gateway";
  const rows: [string, string][] = [
    ["API", fields.api],
    ["Swagger UI", fields.docs],
    ["Queues", fields.queues],
    ["Redis", fields.redis],
    ["Try", fields.try],
  ];
  const lines = [title, "", ...rows.map(([name, value]) => `${name.padEnd(11)} ${value}`)];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = "─".repeat(width + 2);
  return `\n┌${rule}┐\n${lines.map((line) => `│ ${line.padEnd(width)} │`).join("\n")}\n└${rule}┘\n\n`;
}
