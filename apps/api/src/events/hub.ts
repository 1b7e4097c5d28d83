import { decodeRecord, isCluster, type KeySpace, type TaskRecord, type TaskStore } from "@mjg/shared";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";

/** One open stream's interest in a task: told every new version of its record. */
export interface Watcher {
  readonly taskId: string;
  deliver(record: TaskRecord): void;
  /** A heartbeat is due (a comment line keeps proxies from cutting an idle stream). */
  heartbeat(): void;
  /** The process is shutting down: end the stream. */
  end(): void;
}

export interface TaskEventHubOptions {
  redis: Redis;
  keys: KeySpace;
  store: TaskStore;
  logger?: Logger | false;
  /** @defaultValue 15000 */
  heartbeatMs?: number;
}

/**
 * The one subscription of this API process to task changes, shared by every event stream: a change
 * published by any process (`TaskStore.update`) reaches the streams watching that task. The
 * subscriber connects on the first stream; after it reconnects, watched records are read again, so
 * a change published while it was away is not lost.
 */
export class TaskEventHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> | null = null;
  private heartbeats: NodeJS.Timeout | null = null;
  private streams = 0;

  constructor(private readonly options: TaskEventHubOptions) {}

  /** Open streams of this process (and the tasks they watch), for tests and metrics. */
  get size(): { streams: number; tasks: number } {
    return { streams: this.streams, tasks: this.watchers.size };
  }

  /** Starts watching (before the record is read, so no change in between is missed); returns the stop. */
  async watch(watcher: Watcher): Promise<() => void> {
    await this.subscribe();
    let set = this.watchers.get(watcher.taskId);
    if (!set) {
      set = new Set();
      this.watchers.set(watcher.taskId, set);
    }
    set.add(watcher);
    this.streams++;
    this.startHeartbeats();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.streams--;
      const current = this.watchers.get(watcher.taskId);
      current?.delete(watcher);
      if (current?.size === 0) this.watchers.delete(watcher.taskId);
      if (this.streams === 0) this.stopHeartbeats();
    };
  }

  /** Ends every open stream (before the server closes: open streams would hold it open). */
  endAll(): void {
    for (const set of [...this.watchers.values()]) for (const watcher of [...set]) watcher.end();
  }

  async close(): Promise<void> {
    this.endAll();
    this.stopHeartbeats();
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.subscribed = null;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  private subscribe(): Promise<void> {
    if (!this.subscribed) {
      this.subscribed = this.connect().catch((error) => {
        this.subscribed = null;
        throw error;
      });
    }
    return this.subscribed;
  }

  private async connect(): Promise<void> {
    // Subscribing queues its command until the connection is up (the API's own connection fails fast).
    const { redis } = this.options;
    const subscriber = isCluster(redis)
      ? ((redis as unknown as Cluster).duplicate(undefined, { enableOfflineQueue: true }) as unknown as Redis)
      : redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    this.subscriber = subscriber;
    subscriber.on("error", (error: Error) => {
      if (this.options.logger) this.options.logger.warn({ err: error.message }, "task events subscriber");
    });
    subscriber.on("message", (_channel: string, message: string) => this.onMessage(message));
    let first = true;
    subscriber.on("ready", () => {
      if (!first) void this.resync();
      first = false;
    });
    await subscriber.subscribe(this.options.keys.taskEvents);
  }

  private onMessage(message: string): void {
    const cut = message.indexOf("\n");
    if (cut < 0) return;
    // Most changes are of tasks nobody here watches: look at the id before parsing the record.
    const set = this.watchers.get(message.slice(0, cut));
    if (!set) return;
    let record: TaskRecord;
    try {
      record = decodeRecord(message.slice(cut + 1));
    } catch {
      return;
    }
    for (const watcher of [...set]) watcher.deliver(record);
  }

  /** After a reconnect: every watched record once more (streams skip versions they already sent). */
  private async resync(): Promise<void> {
    const ids = [...this.watchers.keys()];
    const records = await this.options.store.getMany(ids).catch(() => []);
    records.forEach((record) => {
      if (!record) return;
      for (const watcher of [...(this.watchers.get(record._id) ?? [])]) watcher.deliver(record);
    });
  }

  private startHeartbeats(): void {
    if (this.heartbeats) return;
    // One timer for every stream of the process, not one per stream.
    this.heartbeats = setInterval(() => {
      for (const set of this.watchers.values()) for (const watcher of set) watcher.heartbeat();
    }, this.options.heartbeatMs ?? 15_000);
    this.heartbeats.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeats) clearInterval(this.heartbeats);
    this.heartbeats = null;
  }
}
