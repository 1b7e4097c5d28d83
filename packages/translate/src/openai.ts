import { z } from "zod";
import { redact, TranslationError } from "./errors.js";
import { postToProvider } from "./http.js";
import type { Translator } from "./translator.js";

export interface OpenAiOptions {
  apiKey: string;
  /** @defaultValue "https://api.openai.com/v1" */
  baseUrl?: string;
  /** @defaultValue "gpt-4o-mini" */
  model?: string;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

export const TRANSLATION_SYSTEM_PROMPT =
  "You translate image-generation prompts into English. Reply with the English translation only: " +
  "no quotes, no explanations, no notes. Keep names, numbers and words already in English as they are.";

const chatAnswer = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});
const chatError = z.object({ error: z.object({ message: z.string() }) });

/** Any OpenAI-compatible chat completions endpoint. */
export class OpenAiTranslator implements Translator {
  readonly #apiKey: string;
  readonly #url: string;
  readonly #model: string;
  readonly #timeoutMs: number;

  constructor(options: OpenAiOptions) {
    this.#apiKey = options.apiKey;
    this.#url = `${(options.baseUrl ?? "https://api.openai.com/v1").replace(/\/+$/, "")}/chat/completions`;
    this.#model = options.model ?? "gpt-4o-mini";
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async translate(text: string): Promise<string> {
    const secrets = [this.#apiKey];
    const answer = await postToProvider({
      provider: "openai",
      url: this.#url,
      headers: { "content-type": "application/json", authorization: `Bearer ${this.#apiKey}` },
      body: JSON.stringify({
        model: this.#model,
        temperature: 0,
        messages: [
          { role: "system", content: TRANSLATION_SYSTEM_PROMPT },
          { role: "user", content: text },
        ],
      }),
      timeoutMs: this.#timeoutMs,
      secrets,
    });
    if (answer.status < 200 || answer.status >= 300) {
      const error = chatError.safeParse(answer.json);
      const detail = error.success ? error.data.error.message : answer.text;
      throw new TranslationError(
        redact(`openai translation failed: HTTP ${answer.status}: ${detail}`, secrets),
        answer.status,
      );
    }
    const parsed = chatAnswer.safeParse(answer.json);
    if (!parsed.success) {
      throw new TranslationError(
        redact(`openai translation failed: unexpected answer: ${answer.text}`, secrets),
        answer.status,
      );
    }
    return unquote(parsed.data.choices[0]!.message.content.trim(), text);
  }
}

/** Chat models sometimes wrap the answer in quotes the input never had. */
function unquote(translated: string, original: string): string {
  const match = /^["“'「](.*)["”'」]$/s.exec(translated);
  return match && !/^["“'「]/.test(original.trim()) ? match[1]!.trim() : translated;
}
