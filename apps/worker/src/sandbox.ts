import { type Simulator, startSimulator } from "@mjg/discord-sim";
import type { AccountConfig } from "@mjg/shared";

/** Sandbox mode: the simulator in-process, with accounts shaped like MJ_ACCOUNTS. */
export async function startSandbox(options: { accounts: number; stepDelayMs: number }): Promise<{
  simulator: Simulator;
  accounts: AccountConfig[];
  discord: { apiUrl: string; gatewayUrl: string; activityUrl: string };
}> {
  const simulator = await startSimulator({
    accounts: options.accounts,
    stepDelayMs: options.stepDelayMs,
    logger: false,
  });
  return {
    simulator,
    accounts: simulatedAccounts(simulator),
    discord: {
      apiUrl: simulator.apiUrl,
      gatewayUrl: simulator.gatewayUrl,
      // The simulator serves the Vary (Region) editor API too (DISCORD_ACTIVITY_URL).
      activityUrl: simulator.activityUrl,
    },
  };
}

/** The simulator's accounts as MJ_ACCOUNTS entries, with the simulator's own limits. */
export function simulatedAccounts(simulator: Simulator, extra: Partial<AccountConfig> = {}): AccountConfig[] {
  return simulator.accounts.map((account) => ({
    id: account.id,
    token: account.token,
    guildId: account.guildId,
    channelId: account.channelId,
    concurrency: account.concurrency,
    queueSize: account.queueSize,
    remix: account.remix,
    enabled: true,
    // The simulator is not Discord: no need to keep a human pace.
    minIntervalMs: 0,
    jitterMs: 0,
    ...extra,
  }));
}
