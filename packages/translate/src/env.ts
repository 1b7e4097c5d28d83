import { z } from "zod";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** Variables of prompt translation and banned words; apps spread this into their env schema. */
export const translateEnv = {
  /** Which service turns prompts into English; "none" sends prompts to Midjourney as written. */
  TRANSLATE_PROVIDER: z.enum(["none", "baidu", "openai"]).default("none"),
  /** Baidu general translation API credentials (https://fanyi-api.baidu.com). */
  BAIDU_APP_ID: z.string().optional(),
  BAIDU_APP_SECRET: z.string().optional(),
  BAIDU_API_URL: httpUrl.default("https://fanyi-api.baidu.com/api/trans/vip/translate"),
  /** Any OpenAI-compatible chat completions service (OpenAI, a proxy, a local model server). */
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: httpUrl.default("https://api.openai.com/v1"),
  OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini"),
  /** A provider that has not answered after this long fails the submission instead of holding it. */
  TRANSLATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Comma-separated words that refuse a prompt (latin words match whole words, CJK words anywhere). */
  BANNED_WORDS: z.string().optional(),
  /** A file with one banned word per line; blank lines and lines starting with # are skipped. */
  BANNED_WORDS_FILE: z.string().optional(),
};

export type TranslateEnv = z.infer<z.ZodObject<typeof translateEnv>>;
