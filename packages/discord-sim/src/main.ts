import pino from "pino";
import { z } from "zod";
import { startSimulator } from "./server.js";

/** `pnpm start:sim`: a standalone simulator on loopback. */
const Env = z.object({
  // 0 = any free port.
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SIM_ACCOUNTS: z.coerce.number().int().min(1).max(10_000).default(3),
  // Realistic pacing for demos; tests pass 0 in-process.
  SIM_STEP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  // The last N accounts have Remix on, so pop-ups can be tried out.
  SIM_REMIX_ACCOUNTS: z.coerce.number().int().min(0).default(1),
  SIM_HOST: z.string().default("127.0.0.1"),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}
const env = parsed.data;
const sim = await startSimulator({
  port: env.SIM_PORT,
  host: env.SIM_HOST,
  accounts: Array.from({ length: env.SIM_ACCOUNTS }, (_, i) => ({
    remix: i >= env.SIM_ACCOUNTS - env.SIM_REMIX_ACCOUNTS,
  })),
  stepDelayMs: env.SIM_STEP_DELAY_MS,
  logger: pino({ name: "discord-sim", level: process.env.LOG_LEVEL ?? "info" }),
});
// Simulator tokens are printed on purpose: they are what a client needs and are worthless elsewhere.
const accounts = sim.accounts.map((a) => ({
  id: a.id,
  token: a.token,
  guildId: a.guildId,
  channelId: a.channelId,
  remix: a.remix,
}));
const { apiUrl, gatewayUrl, activityUrl } = sim;
console.log(JSON.stringify({ apiUrl, gatewayUrl, activityUrl, accounts }));
console.log(`DISCORD_API_URL=${apiUrl}`);
console.log(`DISCORD_GATEWAY_URL=${gatewayUrl}`);
console.log(`DISCORD_ACTIVITY_URL=${activityUrl}`);
console.log(`MJ_ACCOUNTS='${JSON.stringify(accounts)}'`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
