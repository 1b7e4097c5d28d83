import { request } from "undici";
import { redact, TranslationError } from "./errors.js";

/** Providers answer a few hundred bytes; anything far larger is not an answer worth reading. */
const RESPONSE_CAP_BYTES = 1024 * 1024;

export interface ProviderCall {
  /** Names the provider in error messages ("baidu", "openai"). */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Values that must never appear in an error message. */
  secrets: readonly (string | undefined)[];
}

export interface ProviderAnswer {
  status: number;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  json: unknown;
  text: string;
}

/** POSTs one request; every failure (network, timeout, oversized body) becomes a TranslationError. */
export async function postToProvider(call: ProviderCall): Promise<ProviderAnswer> {
  const fail = (message: string, status: number | null = null): TranslationError =>
    new TranslationError(redact(`${call.provider} translation failed: ${message}`, call.secrets), status);
  const signal = AbortSignal.timeout(call.timeoutMs);
  try {
    const response = await request(call.url, {
      method: "POST",
      headers: call.headers,
      body: call.body,
      signal,
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > RESPONSE_CAP_BYTES) {
        response.body.destroy();
        throw fail(`answer larger than ${RESPONSE_CAP_BYTES} bytes`, response.statusCode);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json, text };
  } catch (error) {
    if (error instanceof TranslationError) throw error;
    if (signal.aborted) throw fail(`no answer within ${call.timeoutMs} ms`);
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    throw fail(code && !message.includes(code) ? `${code}: ${message}` : message);
  }
}
