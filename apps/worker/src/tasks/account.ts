import type { DiscordRest } from "@mjg/discord-client";
import type { ApplicationCommand, CommandName, Correlator } from "@mjg/midjourney";
import type { AccountConfig, AccountDirectory, BotType, KeySpace, TaskStore } from "@mjg/shared";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { PacingGate } from "../accounts/pacing.js";
import type { RunningSlots } from "../accounts/slots.js";
import type { TaskLifecycle } from "./lifecycle.js";
import type { Waiters } from "./waiters.js";

/** Where Discord is: REST, gateway, and Midjourney's activity host (Vary Region). */
export interface DiscordEndpoints {
  apiUrl: string;
  gatewayUrl: string;
  /** @defaultValue https://936929561302675456.discordsays.com */
  activityUrl?: string;
}

/** What an account's work is built from: shared by every account a worker runs. */
export interface RuntimeDeps {
  account: AccountConfig;
  discord: DiscordEndpoints;
  store: TaskStore;
  directory: AccountDirectory;
  lifecycle: TaskLifecycle;
  pacing: PacingGate;
  keys: KeySpace;
  /** ioredis connection for BullMQ workers (maxRetriesPerRequest: null). */
  bullConnection: Redis;
  logger: Logger;
  workerId: string;
  timeoutMs: number;
  jobLockMs: number;
  queueFullRetryMs: number;
  /**
   * A gateway session not ready after this long is reported on the account (lastError) and its
   * handshake retried. @defaultValue 15000
   */
  gatewayReadyTimeoutMs?: number;
}

/** What waiting for the account's gateway session came to. */
export type Readiness = "ready" | "stopped" | "timeout" | "refused";

/**
 * The part of an account's runtime that running a task uses: the processor, pop-up answers and seed
 * look-ups see only this, never the runtime itself (no import cycle, no shared private state).
 */
export interface TaskAccount {
  readonly id: string;
  readonly rest: DiscordRest;
  readonly correlator: Correlator;
  readonly slots: RunningSlots;
  readonly waiters: Waiters;
  /** Aborted once the runtime stops: sleeps and waits end at once. */
  readonly signal: AbortSignal;
  /** True once the runtime began to stop: nothing new may be sent from here. */
  readonly isStopping: boolean;
  readonly disabledReason: string | null;
  /** The gateway session's id, which interactions carry. */
  readonly sessionId: string;
  /** Waits for the gateway session, at most until `deadline`, never past the runtime's stop. */
  ready(deadline: number): Promise<Readiness>;
  command(name: CommandName, botType?: BotType, refresh?: boolean): Promise<ApplicationCommand>;
  /** Reads the channel's recent messages for tracked tasks (results missed while nobody listened). */
  catchUp(): Promise<void>;
  disable(reason: string): Promise<void>;
  /** This account left rotation: moves an unsent task bound to none of its messages elsewhere, else fails it. */
  moveOrFail(taskId: string, reason: string): Promise<"moved" | "failed" | "gone">;
}
