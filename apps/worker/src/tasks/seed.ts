import {
  jobHashOf,
  MIDJOURNEY_APPLICATION_ID,
  NIJI_APPLICATION_ID,
  nextSnowflake,
  parseMessage,
  parseSeedMessage,
  showInteraction,
} from "@mjg/midjourney";
import type { TaskRecord } from "@mjg/shared";
import type { RuntimeDeps, TaskAccount } from "./account.js";
import { refusalText } from "./modal.js";

// How long the bot has to answer /show and the ✉️ reaction before the API hears "no seed".
const SEED_WAIT_MS = 25_000;
const ENVELOPE = "✉️";

interface Pending {
  resolve(seed: string | null): void;
  reacted: boolean;
}

/**
 * A job's seed: `/show <job>` in the bot's DM channel, ✉️ on the message it posts, and the seed read
 * from the DM the bot sends back (docs/discord-protocol.md §4.5). Cached on the task as `seed`.
 */
export class SeedLookup {
  private readonly dmChannels = new Map<string, Promise<string>>();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly runtime: TaskAccount,
    private readonly deps: RuntimeDeps,
  ) {}

  /** Gateway dispatches of the account: the bot's DMs answer /show and the reaction. */
  onDispatch(t: string, d: unknown): void {
    if (t !== "MESSAGE_CREATE" || this.pending.size === 0) return;
    const message = parseMessage(d);
    const author = message?.author?.id;
    if (!message || (author !== MIDJOURNEY_APPLICATION_ID && author !== NIJI_APPLICATION_ID)) return;
    const seed = parseSeedMessage(message.content);
    if (seed) {
      this.pending.get(seed.jobId)?.resolve(seed.seed);
      return;
    }
    const hash = jobHashOf(message);
    const entry = hash ? this.pending.get(hash) : undefined;
    if (!entry || entry.reacted) return;
    entry.reacted = true;
    void this.runtime.rest
      .addReaction(message.channel_id, message.id, ENVELOPE)
      .catch(() => entry.resolve(null));
  }

  async lookup(taskId: string): Promise<void> {
    const { store } = this.deps;
    const record = await store.get(taskId);
    if (!record?.hash || record.seed) return;
    const seed = await this.ask(record, record.hash);
    if (seed) await store.update(taskId, () => ({ seed }));
  }

  private async ask(record: TaskRecord, jobHash: string): Promise<string | null> {
    const { account, pacing } = this.deps;
    const botId = record.botType === "NIJI_JOURNEY" ? NIJI_APPLICATION_ID : MIDJOURNEY_APPLICATION_ID;
    const dmChannelId = await this.dmChannel(botId);
    const command = await this.runtime.command("show", record.botType);
    const answer = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), SEED_WAIT_MS);
      this.pending.set(jobHash, {
        reacted: false,
        resolve: (seed) => {
          clearTimeout(timer);
          resolve(seed);
        },
      });
    });
    try {
      if ((await this.runtime.ready(Date.now() + SEED_WAIT_MS)) !== "ready")
        throw new Error("gateway session not ready");
      const ticket = await pacing.pass(account.id, account);
      try {
        const body = showInteraction({
          guildId: account.guildId,
          channelId: dmChannelId,
          sessionId: this.runtime.sessionId,
          nonce: nextSnowflake(),
          jobId: jobHash,
          command,
        });
        // A DM channel belongs to no guild.
        delete body.guild_id;
        const result = await this.runtime.rest.sendInteraction(body);
        if (result.kind !== "ok") throw new Error(`/show refused: ${refusalText(result)}`);
      } finally {
        await ticket.done().catch(() => undefined);
      }
      return await answer;
    } finally {
      this.pending.delete(jobHash);
    }
  }

  private dmChannel(botId: string): Promise<string> {
    let channel = this.dmChannels.get(botId);
    if (!channel) {
      channel = this.runtime.rest.openDm(botId);
      channel.catch(() => this.dmChannels.delete(botId));
      this.dmChannels.set(botId, channel);
    }
    return channel;
  }
}
