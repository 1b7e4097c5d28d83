/** One Server-Sent Event as the WHATWG event-stream format defines it. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
  retry: number | null;
}

/**
 * Incremental `text/event-stream` parser: feed it decoded chunks, it returns the events they
 * complete. Comment lines (`:` heartbeats) are skipped; CRLF, LF and CR all end a line.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private retry: number | null = null;
  /** The last `id:` seen, kept across events (what `Last-Event-ID` resumes from). */
  lastEventId: string | null = null;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (!match || (match[0] === "\r" && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  private dispatch(): SseEvent | null {
    const hasData = this.data.length > 0;
    const event: SseEvent = {
      event: this.event || "message",
      data: this.data.join("\n"),
      id: this.lastEventId,
      retry: this.retry,
    };
    this.data = [];
    this.event = "";
    this.retry = null;
    return hasData ? event : null;
  }
}
