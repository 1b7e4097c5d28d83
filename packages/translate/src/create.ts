import { BaiduTranslator } from "./baidu.js";
import type { TranslateEnv } from "./env.js";
import { OpenAiTranslator } from "./openai.js";
import type { Translator } from "./translator.js";

/** The configured translator, or null when TRANSLATE_PROVIDER is "none" (promptEn = prompt). */
export function createTranslator(env: TranslateEnv): Translator | null {
  switch (env.TRANSLATE_PROVIDER) {
    case "none":
      return null;
    case "baidu":
      if (!env.BAIDU_APP_ID || !env.BAIDU_APP_SECRET) {
        throw new Error("TRANSLATE_PROVIDER=baidu needs BAIDU_APP_ID and BAIDU_APP_SECRET");
      }
      return new BaiduTranslator({
        appId: env.BAIDU_APP_ID,
        secret: env.BAIDU_APP_SECRET,
        apiUrl: env.BAIDU_API_URL,
        timeoutMs: env.TRANSLATE_TIMEOUT_MS,
      });
    case "openai":
      if (!env.OPENAI_API_KEY) throw new Error("TRANSLATE_PROVIDER=openai needs OPENAI_API_KEY");
      return new OpenAiTranslator({
        apiKey: env.OPENAI_API_KEY,
        baseUrl: env.OPENAI_BASE_URL,
        model: env.OPENAI_MODEL,
        timeoutMs: env.TRANSLATE_TIMEOUT_MS,
      });
  }
}
