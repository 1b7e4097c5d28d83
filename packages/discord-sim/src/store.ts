import type { ImageSpec } from "./images.js";
import type { Message } from "./messages.js";

/** Bounded insertion-ordered map: the oldest entries go first, so memory stays flat under load. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

/** Channel history (public messages only: ephemeral ones are never in history) and CDN specs. */
export class MessageStore {
  private readonly channels = new Map<string, BoundedMap<string, Message>>();
  private readonly ephemeral = new BoundedMap<string, Message>(20_000);
  readonly images = new BoundedMap<string, ImageSpec>(300_000);
  /** CDN attachment ids that show an uploaded file: attachment id → upload_filename. */
  readonly uploadLinks = new BoundedMap<string, string>(10_000);

  constructor(private readonly perChannel = 500) {}

  put(msg: Message): void {
    if (msg.flags & 64) {
      this.ephemeral.set(msg.id, msg);
      return;
    }
    let channel = this.channels.get(msg.channel_id);
    if (!channel) {
      channel = new BoundedMap(this.perChannel);
      this.channels.set(msg.channel_id, channel);
    }
    channel.set(msg.id, msg);
  }

  get(channelId: string, id: string): Message | undefined {
    const found = this.channels.get(channelId)?.get(id) ?? this.ephemeral.get(id);
    return found && found.channel_id === channelId ? found : undefined;
  }

  delete(channelId: string, id: string): void {
    this.channels.get(channelId)?.delete(id);
    this.ephemeral.delete(id);
  }

  /** Newest first, like GET /channels/:id/messages. */
  list(channelId: string, opts: { limit: number; before?: string; after?: string }): Message[] {
    const channel = this.channels.get(channelId);
    if (!channel) return [];
    const before = opts.before ? BigInt(opts.before) : undefined;
    const after = opts.after ? BigInt(opts.after) : undefined;
    const all = [...channel.values()].filter((m) => {
      const id = BigInt(m.id);
      return (before === undefined || id < before) && (after === undefined || id > after);
    });
    all.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    // With `after`, Discord returns the messages right after that id (the oldest ones), newest first.
    return after !== undefined && before === undefined ? all.slice(-opts.limit) : all.slice(0, opts.limit);
  }
}
