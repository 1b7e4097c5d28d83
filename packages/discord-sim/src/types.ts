/** Public types of the simulator. */
export interface SimAccountOptions {
  /** Name used in MJ_ACCOUNTS and in control calls. @defaultValue `sim-<n>` */
  id?: string;
  token?: string;
  guildId?: string;
  channelId?: string;
  userId?: string;
  username?: string;
  /** Jobs Midjourney runs at once for this account. @defaultValue 3 */
  concurrency?: number;
  /** Jobs that may wait for a slot before "Queue full". @defaultValue 10 */
  queueSize?: number;
  /** Remix mode: V/Vary/reroll/pan open a pop-up first. @defaultValue false */
  remix?: boolean;
}

export interface SimAccount {
  readonly id: string;
  readonly token: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly userId: string;
  readonly username: string;
  readonly concurrency: number;
  readonly queueSize: number;
  /** Remix mode at start (control.setRemix changes it). */
  readonly remix: boolean;
}

export interface LoggerLike {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface SimulatorOptions {
  /** 0 = a free port. @defaultValue 0 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** A count of generated accounts or their explicit settings. @defaultValue 3 */
  accounts?: number | SimAccountOptions[];
  /** Delay between bot steps (waiting → progress → final). 0 = next turn of the event loop. @defaultValue 0 */
  stepDelayMs?: number;
  /** Progress percentages sent as MESSAGE_UPDATEs. @defaultValue [0, 31, 62, 93] */
  progressSteps?: number[];
  /** The final grid MESSAGE_CREATE carries the nonce (reported since 2025). @defaultValue false */
  finalWithNonce?: boolean;
  /** Words that make a prompt "Banned prompt detected". @defaultValue ["bannedword"] */
  bannedWords?: string[];
  /** Share of accepted jobs that fail at random (an error reply or a stop midway). @defaultValue 0 */
  failureRate?: number;
  /** op 10 heartbeat_interval in ms. @defaultValue 41250 */
  heartbeatIntervalMs?: number;
  /** Seed for generated ids, tokens and hashes. @defaultValue random */
  seed?: number;
  /** Dispatches kept per gateway session for resume. @defaultValue 1000 */
  resumeBufferSize?: number;
  /** A pino-like logger, or false for silence. @defaultValue a pino logger at LOG_LEVEL or "warn" */
  logger?: LoggerLike | false;
}

export type FailureKind =
  | "banned"
  | "invalid-parameter"
  | "action-needed"
  | "never-finish"
  | "stop-midway"
  | "error"
  | "queue-full"
  | "pending-mod";

export const FAILURE_KINDS: readonly FailureKind[] = [
  "banned",
  "invalid-parameter",
  "action-needed",
  "never-finish",
  "stop-midway",
  "error",
  "queue-full",
  "pending-mod",
];

/** A token, an account id, or the account itself. */
export type AccountRef = string | SimAccount;

export interface RateLimitSpec {
  /** Seconds, as in Discord's `retry_after`. */
  retryAfter: number;
  /** How many requests get the 429. @defaultValue 1 */
  count?: number;
}

export interface SimControl {
  setStepDelay(ms: number): void;
  failNext(account: AccountRef, kind: FailureKind): void;
  rateLimitNext(target: AccountRef | "global", spec: RateLimitSpec): void;
  reconnect(account: AccountRef): number;
  invalidateSession(account: AccountRef, resumable: boolean): number;
  dropSocket(account: AccountRef): number;
  closeSocket(account: AccountRef, code: number): number;
  setFinalWithNonce(value: boolean): void;
  setFailureRate(rate: number): void;
  setBannedWords(words: string[]): void;
  /** Turn an account's Remix mode on or off. */
  setRemix(account: AccountRef, remix: boolean): void;
}

/** A file PUT to an upload URL: what tests compare with what the client sent. */
export interface UploadInfo {
  channelId: string;
  uploadFilename: string;
  filename: string;
  declaredSize: number | null;
  contentType: string | null;
  /** null until the bytes were PUT. */
  size: number | null;
  sha256: string | null;
}

/** A Vary (Region) mask received by the editor's submit-job. */
export interface MaskInfo {
  accountId: string;
  prompt: string;
  size: number;
  sha256: string;
}

export interface InteractionRecord {
  at: number;
  nonce: string | null;
  type: number;
  customId?: string;
  commandName?: string;
  prompt?: string;
}

export interface GatewayStats {
  connects: number;
  identifies: number;
  resumes: number;
  /** Sessions alive now (connected, or waiting to be resumed). */
  sessions: number;
}

export interface AccountStats {
  id: string;
  /** The most recent interactions (at most 10,000 kept). */
  interactions: InteractionRecord[];
  interactionCount: number;
  duplicateNonces: number;
  maxConcurrentJobs: number;
  runningJobs: number;
  queuedJobs: number;
  completedJobs: number;
  gateway: GatewayStats;
}

export interface SimStats {
  accounts: AccountStats[];
  totals: {
    interactions: number;
    duplicateNonces: number;
    completedJobs: number;
    runningJobs: number;
    queuedJobs: number;
    rateLimited: number;
    gateway: GatewayStats;
  };
}

export interface Simulator {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/api/v9 (DISCORD_API_URL) */
  readonly apiUrl: string;
  /** ws://127.0.0.1:PORT/?encoding=json&v=9 (DISCORD_GATEWAY_URL) */
  readonly gatewayUrl: string;
  /** http://127.0.0.1:PORT/_activity: the Vary (Region) editor's base (DISCORD_ACTIVITY_URL). */
  readonly activityUrl: string;
  readonly accounts: SimAccount[];
  readonly control: SimControl;
  stats(): SimStats;
  /** Uploaded files, oldest first. */
  uploads(): UploadInfo[];
  /** Vary (Region) masks received, oldest first. */
  masks(): MaskInfo[];
  close(): Promise<void>;
}
