import { createHash, randomInt } from "node:crypto";
import { z } from "zod";
import { redact, TranslationError } from "./errors.js";
import { postToProvider } from "./http.js";
import type { Translator } from "./translator.js";

export interface BaiduOptions {
  appId: string;
  secret: string;
  /** @defaultValue "https://fanyi-api.baidu.com/api/trans/vip/translate" */
  apiUrl?: string;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

/** Baidu answers 200 for both outcomes; errors carry error_code / error_msg instead of results. */
const baiduAnswer = z.union([
  z.object({ trans_result: z.array(z.object({ src: z.string(), dst: z.string() })).min(1) }),
  z.object({ error_code: z.union([z.string(), z.number()]), error_msg: z.string().optional() }),
]);

/** The Baidu signature: md5 of appid + q + salt + secret, q as the raw UTF-8 text. */
export function baiduSign(appId: string, q: string, salt: string, secret: string): string {
  return createHash("md5").update(`${appId}${q}${salt}${secret}`, "utf8").digest("hex");
}

/** Baidu general text translation ("通用文本翻译"): from=auto, to=en. */
export class BaiduTranslator implements Translator {
  readonly #appId: string;
  readonly #secret: string;
  readonly #apiUrl: string;
  readonly #timeoutMs: number;

  constructor(options: BaiduOptions) {
    this.#appId = options.appId;
    this.#secret = options.secret;
    this.#apiUrl = options.apiUrl ?? "https://fanyi-api.baidu.com/api/trans/vip/translate";
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async translate(text: string): Promise<string> {
    const salt = String(randomInt(1_000_000_000, 2_000_000_000));
    const form = new URLSearchParams({
      q: text,
      from: "auto",
      to: "en",
      appid: this.#appId,
      salt,
      sign: baiduSign(this.#appId, text, salt, this.#secret),
    });
    const secrets = [this.#secret];
    const answer = await postToProvider({
      provider: "baidu",
      url: this.#apiUrl,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      timeoutMs: this.#timeoutMs,
      secrets,
    });
    const parsed = baiduAnswer.safeParse(answer.json);
    if (answer.status < 200 || answer.status >= 300 || !parsed.success) {
      throw new TranslationError(
        redact(`baidu translation failed: HTTP ${answer.status}: ${answer.text}`, secrets),
        answer.status,
      );
    }
    if ("error_code" in parsed.data) {
      const { error_code, error_msg } = parsed.data;
      throw new TranslationError(
        redact(`baidu translation failed: error ${error_code}: ${error_msg ?? "no message"}`, secrets),
        answer.status,
      );
    }
    // One result per line of q.
    return parsed.data.trans_result.map((line) => line.dst).join("\n");
  }
}
