import WebSocket from "ws";

/** A minimal Discord gateway + REST client written for the tests (not the project's worker). */
export interface Dispatch {
  t: string;
  s: number;
  op: number;
  d: Record<string, unknown> & { id?: string; nonce?: string; content?: string };
}

export class TestGateway {
  readonly frames: Array<{ op: number; t: string | null; s: number | null; d: unknown }> = [];
  readonly dispatches: Dispatch[] = [];
  closed: { code: number; reason: string } | null = null;
  sessionId = "";
  seq = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      if (frame.op === 0) {
        this.dispatches.push(frame);
        this.seq = frame.s;
        if (frame.t === "READY") this.sessionId = frame.d.session_id;
      }
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on("error", () => {});
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  static open(url: string): Promise<TestGateway> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const gw = new TestGateway(ws);
      ws.once("open", () => resolve(gw));
      ws.once("error", reject);
    });
  }

  static async identify(url: string, token: string): Promise<TestGateway> {
    const gw = await TestGateway.open(url);
    await gw.until(() => gw.frames.some((f) => f.op === 10));
    gw.send({
      op: 2,
      d: {
        token,
        capabilities: 16381,
        properties: { os: "Linux", browser: "Chrome", device: "" },
        compress: false,
      },
    });
    await gw.until(() => gw.sessionId !== "");
    return gw;
  }

  send(payload: unknown) {
    this.ws.send(JSON.stringify(payload));
  }

  /** Wait until the condition holds (generous timeout; no timing assertions). */
  until(cond: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  async waitFor(pred: (d: Dispatch) => boolean, what = "dispatch"): Promise<Dispatch> {
    await this.until(() => this.dispatches.some(pred), 20_000, what);
    return this.dispatches.find(pred)!;
  }

  close() {
    this.ws.terminate();
  }
}

export function newNonce(): string {
  return (
    (BigInt(Date.now() - 1420070400000) << 22n) |
    BigInt(Math.floor(Math.random() * 4_000_000))
  ).toString();
}

export function imagineBody(
  account: { guildId: string; channelId: string },
  prompt: string,
  nonce: string,
  sessionId = "0123456789abcdef0123456789abcdef",
) {
  return {
    type: 2,
    application_id: "936929561302675456",
    guild_id: account.guildId,
    channel_id: account.channelId,
    session_id: sessionId,
    nonce,
    data: {
      version: "1237876415471554623",
      id: "938956540159881230",
      name: "imagine",
      type: 1,
      options: [{ type: 3, name: "prompt", value: prompt }],
      attachments: [],
    },
  };
}

export function buttonBody(
  account: { guildId: string; channelId: string },
  messageId: string,
  customId: string,
  nonce: string,
  flags = 0,
) {
  return {
    type: 3,
    guild_id: account.guildId,
    channel_id: account.channelId,
    message_id: messageId,
    application_id: "936929561302675456",
    session_id: "0123456789abcdef0123456789abcdef",
    nonce,
    message_flags: flags,
    data: { component_type: 2, custom_id: customId },
  };
}

export async function post(apiUrl: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${apiUrl}/interactions`, {
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}
