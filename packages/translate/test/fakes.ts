import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A provider stand-in on 127.0.0.1 that records what it was asked. */
export interface FakeProvider {
  url: string;
  /** The texts it was asked to translate, in order. */
  asked: string[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => sendJson(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}` };
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/**
 * Baidu general translation as documented: a form POST with q, from, to, appid, salt and
 * sign = md5(appid + q + salt + secret); errors come back as 200 with error_code / error_msg.
 */
export async function fakeBaidu(options: {
  appId: string;
  secret: string;
  dictionary: Record<string, string>;
}): Promise<FakeProvider> {
  const asked: string[] = [];
  const { server, base } = await listen(async (request, response) => {
    const body = await readBody(request);
    if (request.method !== "POST" || request.url !== "/api/trans/vip/translate") {
      return sendJson(response, 404, { error: "not found" });
    }
    if (!request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
      return sendJson(response, 200, { error_code: "54000", error_msg: "PARAM_FROM_TO_OR_Q_EMPTY" });
    }
    const form = new URLSearchParams(body);
    const q = form.get("q");
    const salt = form.get("salt");
    if (!q || !salt || form.get("from") !== "auto" || form.get("to") !== "en") {
      return sendJson(response, 200, { error_code: "54000", error_msg: "PARAM_FROM_TO_OR_Q_EMPTY" });
    }
    if (form.get("appid") !== options.appId) {
      return sendJson(response, 200, { error_code: "52003", error_msg: "UNAUTHORIZED USER" });
    }
    const expected = createHash("md5").update(`${options.appId}${q}${salt}${options.secret}`).digest("hex");
    if (form.get("sign") !== expected) {
      return sendJson(response, 200, { error_code: "54001", error_msg: "Invalid Sign" });
    }
    asked.push(q);
    const lines = q
      .split("\n")
      .map((src) => ({ src, dst: options.dictionary[src] ?? `untranslated:${src}` }));
    sendJson(response, 200, { from: "zh", to: "en", trans_result: lines });
  });
  return { url: `${base}/api/trans/vip/translate`, asked, close: closer(server) };
}

/**
 * An OpenAI-compatible chat completions endpoint: Bearer key, the model, a system message then
 * the user's text. A wrong key gets a 401 that echoes the key, as careless proxies do.
 */
export async function fakeOpenAi(options: {
  apiKey: string;
  model: string;
  dictionary: Record<string, string>;
}): Promise<FakeProvider> {
  const asked: string[] = [];
  const { server, base } = await listen(async (request, response) => {
    const body = await readBody(request);
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      return sendJson(response, 404, { error: { message: "not found" } });
    }
    const auth = request.headers.authorization ?? "";
    if (auth !== `Bearer ${options.apiKey}`) {
      const given = auth.replace(/^Bearer /, "");
      return sendJson(response, 401, {
        error: { message: `Incorrect API key provided: ${given}.`, type: "invalid_request_error" },
      });
    }
    const payload = JSON.parse(body) as {
      model?: string;
      messages?: { role: string; content: string }[];
    };
    const [system, user, ...rest] = payload.messages ?? [];
    if (
      payload.model !== options.model ||
      system?.role !== "system" ||
      !/english/i.test(system.content) ||
      user?.role !== "user" ||
      rest.length > 0
    ) {
      return sendJson(response, 400, { error: { message: "unexpected request shape" } });
    }
    asked.push(user.content);
    const content = options.dictionary[user.content] ?? `untranslated:${user.content}`;
    sendJson(response, 200, {
      id: "chatcmpl-1",
      object: "chat.completion",
      model: options.model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    });
  });
  return { url: `${base}/v1`, asked, close: closer(server) };
}

/** Accepts connections and never answers: a provider that hangs. */
export async function silentServer(): Promise<FakeProvider> {
  const { server, base } = await listen(() => new Promise<void>(() => {}));
  return { url: base, asked: [], close: closer(server) };
}
