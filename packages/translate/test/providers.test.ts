import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createTranslator,
  type TranslateEnv,
  TranslationError,
  translateEnv,
  translatePrompt,
} from "../src/index.js";
import { type FakeProvider, fakeBaidu, fakeOpenAi, silentServer } from "./fakes.js";

const APP_ID = "20240101000012345";
const BAIDU_SECRET = "baidu-secret-Xq7pL2";
const OPENAI_KEY = "sk-test-key-9f8e7d6c5b4a";
const MODEL = "gpt-4o-mini";

const dictionary = {
  一只橘猫在草地上晒太阳: "An orange cat basking in the sun on the grass",
  赛博朋克城市夜景: "Cyberpunk city night view",
};

function env(values: Record<string, string>): TranslateEnv {
  return z.object(translateEnv).parse(values);
}

let providers: FakeProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  providers = [];
});

async function started<T extends FakeProvider>(provider: Promise<T>): Promise<T> {
  const ready = await provider;
  providers.push(ready);
  return ready;
}

const PROMPT = "https://cdn.example.com/ref/cat.png 一只橘猫在草地上晒太阳 --ar 16:9 --v 6";
const EXPECTED =
  "https://cdn.example.com/ref/cat.png An orange cat basking in the sun on the grass --ar 16:9 --v 6";

describe("Baidu translation", () => {
  const baiduEnv = (url: string, secret = BAIDU_SECRET) =>
    env({
      TRANSLATE_PROVIDER: "baidu",
      BAIDU_APP_ID: APP_ID,
      BAIDU_APP_SECRET: secret,
      BAIDU_API_URL: url,
    });

  it("a Chinese prompt reaches Midjourney in English with its URL and parameters untouched", async () => {
    const baidu = await started(fakeBaidu({ appId: APP_ID, secret: BAIDU_SECRET, dictionary }));
    const translator = createTranslator(baiduEnv(baidu.url));
    expect(await translatePrompt(PROMPT, translator)).toBe(EXPECTED);
    // Only the words went to Baidu, signed correctly (the fake checks the md5 sign).
    expect(baidu.asked).toEqual(["一只橘猫在草地上晒太阳"]);
  });

  it("an English prompt is sent as written and Baidu is never called", async () => {
    const baidu = await started(fakeBaidu({ appId: APP_ID, secret: BAIDU_SECRET, dictionary }));
    const translator = createTranslator(baiduEnv(baidu.url));
    const prompt = "https://cdn.example.com/a.png a red fox in the snow --ar 3:2 --style raw";
    expect(await translatePrompt(prompt, translator)).toBe(prompt);
    expect(baidu.asked).toEqual([]);
  });

  it("a wrong secret fails with Baidu's error code and never shows the secret", async () => {
    const baidu = await started(fakeBaidu({ appId: APP_ID, secret: BAIDU_SECRET, dictionary }));
    const wrongSecret = "wrong-secret-Zz9911";
    const translator = createTranslator(baiduEnv(baidu.url, wrongSecret));
    const error = await translatePrompt(PROMPT, translator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranslationError);
    expect((error as Error).message).toContain("54001");
    expect((error as Error).message).not.toContain(wrongSecret);
    expect(JSON.stringify(error)).not.toContain(wrongSecret);
    expect(baidu.asked).toEqual([]);
  });

  it("a Baidu that never answers fails the translation after the timeout", async () => {
    const silent = await started(silentServer());
    const translator = createTranslator({ ...baiduEnv(silent.url), TRANSLATE_TIMEOUT_MS: 300 });
    const error = await translatePrompt(PROMPT, translator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranslationError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
  });
});

describe("OpenAI-compatible translation", () => {
  const openAiEnv = (url: string, key = OPENAI_KEY) =>
    env({ TRANSLATE_PROVIDER: "openai", OPENAI_API_KEY: key, OPENAI_BASE_URL: url, OPENAI_MODEL: MODEL });

  it("a Chinese prompt reaches Midjourney in English with its URL and parameters untouched", async () => {
    const openai = await started(fakeOpenAi({ apiKey: OPENAI_KEY, model: MODEL, dictionary }));
    const translator = createTranslator(openAiEnv(openai.url));
    expect(await translatePrompt(PROMPT, translator)).toBe(EXPECTED);
    expect(openai.asked).toEqual(["一只橘猫在草地上晒太阳"]);
  });

  it("a base URL with a trailing slash still reaches /chat/completions", async () => {
    const openai = await started(fakeOpenAi({ apiKey: OPENAI_KEY, model: MODEL, dictionary }));
    const translator = createTranslator(openAiEnv(`${openai.url}/`));
    expect(await translatePrompt("赛博朋克城市夜景 --niji 6", translator)).toBe(
      "Cyberpunk city night view --niji 6",
    );
  });

  it("an English prompt is sent as written and the model is never called", async () => {
    const openai = await started(fakeOpenAi({ apiKey: OPENAI_KEY, model: MODEL, dictionary }));
    const translator = createTranslator(openAiEnv(openai.url));
    const prompt = "portrait of an astronaut, 35mm film <@1234567890> --ar 2:3 --no helmet";
    expect(await translatePrompt(prompt, translator)).toBe(prompt);
    expect(openai.asked).toEqual([]);
  });

  it("a rejected key fails with the provider's status and the key is cut out of the echo", async () => {
    const openai = await started(fakeOpenAi({ apiKey: OPENAI_KEY, model: MODEL, dictionary }));
    const wrongKey = "sk-wrong-key-0a1b2c3d";
    const translator = createTranslator(openAiEnv(openai.url, wrongKey));
    const error = await translatePrompt(PROMPT, translator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranslationError);
    expect((error as TranslationError).status).toBe(401);
    expect((error as Error).message).toContain("Incorrect API key provided");
    expect((error as Error).message).not.toContain(wrongKey);
  });

  it("a model server that never answers fails the translation after the timeout", async () => {
    const silent = await started(silentServer());
    const translator = createTranslator({ ...openAiEnv(`${silent.url}/v1`), TRANSLATE_TIMEOUT_MS: 300 });
    const error = await translatePrompt(PROMPT, translator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranslationError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
    expect((error as Error).message).not.toContain(OPENAI_KEY);
  });

  it("a provider that is down fails the translation instead of hanging", async () => {
    const gone = await silentServer();
    await gone.close();
    const translator = createTranslator(openAiEnv(`${gone.url}/v1`));
    const error = await translatePrompt(PROMPT, translator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranslationError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe("configuration", () => {
  it("translation is off by default and the prompt goes to Midjourney as written", async () => {
    const translator = createTranslator(env({}));
    expect(translator).toBeNull();
    expect(await translatePrompt(PROMPT, translator)).toBe(PROMPT);
  });

  it("a provider without its credentials stops start-up naming the missing variables", () => {
    expect(() => createTranslator(env({ TRANSLATE_PROVIDER: "baidu", BAIDU_APP_ID: APP_ID }))).toThrow(
      /BAIDU_APP_SECRET/,
    );
    expect(() => createTranslator(env({ TRANSLATE_PROVIDER: "openai" }))).toThrow(/OPENAI_API_KEY/);
  });

  it("an unknown provider or a bad URL is refused when the environment is read", () => {
    expect(z.object(translateEnv).safeParse({ TRANSLATE_PROVIDER: "google" }).success).toBe(false);
    expect(z.object(translateEnv).safeParse({ OPENAI_BASE_URL: "ftp://example.com" }).success).toBe(false);
  });
});
