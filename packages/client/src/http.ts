import { type ApiDialect, MjgApiError, MjgNetworkError, MjgProtocolError } from "./errors.js";

/** What the client does with a 429 / 503 answer. */
export interface RetryOptions {
  /** Further attempts after the first. @defaultValue 3 */
  retries?: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown instead. @defaultValue 60000 */
  maxDelayMs?: number;
  /** Wait when the answer carries no `Retry-After` (doubled on each attempt). @defaultValue 1000 */
  baseDelayMs?: number;
}

/** Called before each retry: for logs and progress lines. */
export type RetryListener = (event: {
  attempt: number;
  status: number;
  delayMs: number;
  path: string;
}) => void;

export interface TransportOptions {
  baseUrl: string;
  secret?: string | undefined;
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
  onRetry?: RetryListener | undefined;
  userAgent: string;
}

export interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  api: ApiDialect;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  idempotencyKey?: string | undefined;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** One answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The HTTP edge of the SDK: auth header, JSON, idempotency key, retries on 429 / 503. */
export class Transport {
  constructor(readonly options: TransportOptions) {}

  url(path: string, query: RequestSpec["query"] = {}): string {
    const url = new URL(path.replace(/^\//, ""), `${this.options.baseUrl.replace(/\/+$/, "")}/`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
    return url.toString();
  }

  headers(spec: Pick<RequestSpec, "idempotencyKey" | "headers">, json: boolean): Record<string, string> {
    return {
      accept: "application/json",
      "user-agent": this.options.userAgent,
      ...(json ? { "content-type": "application/json" } : {}),
      ...(this.options.secret ? { "mj-api-secret": this.options.secret } : {}),
      ...(spec.idempotencyKey ? { "idempotency-key": spec.idempotencyKey } : {}),
      ...spec.headers,
    };
  }

  /** Sends once; network failures become MjgNetworkError, the caller's abort passes through. */
  async send(spec: RequestSpec): Promise<Response> {
    const json = spec.body !== undefined;
    try {
      return await this.options.fetch(this.url(spec.path, spec.query), {
        method: spec.method,
        headers: this.headers(spec, json),
        body: json ? JSON.stringify(spec.body) : undefined,
        signal: spec.signal,
      });
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new MjgNetworkError(`cannot reach ${this.options.baseUrl} (${detail})`, { cause: error });
    }
  }

  /**
   * Sends and reads the JSON answer, retrying 429 / 503 after their `Retry-After`. Submits carry
   * the same idempotency key on every attempt, so a retry never creates a second task.
   */
  async request(spec: RequestSpec): Promise<Answer> {
    const { retries, maxDelayMs, baseDelayMs } = this.options.retry;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(spec);
      const answer = await read(response);
      if (answer.status !== 429 && answer.status !== 503) return answer;
      const retryAfter = parseRetryAfter(answer.headers.get("retry-after"));
      const delayMs = retryAfter ?? baseDelayMs * 2 ** attempt;
      if (attempt >= retries || delayMs > maxDelayMs) return answer;
      this.options.onRetry?.({ attempt: attempt + 1, status: answer.status, delayMs, path: spec.path });
      await sleep(delayMs, spec.signal);
    }
  }
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

interface Envelope {
  code: number;
  description: string;
  result?: unknown;
  properties?: Record<string, unknown>;
}

function isEnvelope(body: unknown): body is Envelope {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as Envelope).code === "number" &&
    typeof (body as Envelope).description === "string"
  );
}

/** The refusal an answer carries; a body that is no envelope is a protocol error. */
export function refusalOf(api: ApiDialect, answer: Answer): MjgApiError | MjgProtocolError {
  if (!isEnvelope(answer.body))
    return new MjgProtocolError(
      `unexpected answer (HTTP ${answer.status}): ${answer.text.slice(0, 200)}`,
      answer.status,
      answer.text,
    );
  return new MjgApiError(
    api,
    answer.status,
    answer.body.code,
    answer.body.description,
    answer.body.properties ?? {},
    parseRetryAfter(answer.headers.get("retry-after")),
  );
}

/** A submit's envelope when its code is one of `ok`, else the refusal it is. */
export function envelopeOf(api: ApiDialect, answer: Answer, ok: readonly number[]): Envelope {
  if (answer.status >= 200 && answer.status < 300 && isEnvelope(answer.body) && ok.includes(answer.body.code))
    return answer.body;
  throw refusalOf(api, answer);
}
