import { describe, expect, it } from "vitest";
import { containsCjk, splitPrompt, type Translator, translatePrompt } from "../src/index.js";

/** A translator that marks what it was given, so a test can see exactly which bytes were sent. */
function bracketing(): Translator & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async translate(text) {
      asked.push(text);
      return `[${text}]`;
    },
  };
}

describe("what a translation touches", () => {
  const prompts = [
    "https://cdn.example.com/a.png 一只猫在草地上，阳光明媚 --ar 16:9 --v 6",
    "https://a.example/x.png一只猫--ar 16:9",
    "<@123456> 猫::2 狗::-0.5 --no 汽车 --style raw",
    "一只猫 —ar 3:2 ——v 6",
    "a cat --ar 16:9 --sref https://example.com/style.png --seed 42",
    "",
  ];

  it.each(prompts)("splitting never loses a byte: %s", (prompt) => {
    expect(
      splitPrompt(prompt)
        .map((segment) => segment.value)
        .join(""),
    ).toBe(prompt);
  });

  it("parameters with their values and URLs come back byte-identical", async () => {
    const translator = bracketing();
    const prompt = "https://s.mj.run/AbC-12_x?y=1 一只猫在草地上，阳光明媚 --ar 16:9 --v 6 --stylize 250";
    expect(await translatePrompt(prompt, translator)).toBe(
      "https://s.mj.run/AbC-12_x?y=1 [一只猫在草地上，阳光明媚] --ar 16:9 --v 6 --stylize 250",
    );
    expect(translator.asked).toEqual(["一只猫在草地上，阳光明媚"]);
  });

  it("words typed straight against a URL or a parameter get a space, not glued onto them", async () => {
    const translator = bracketing();
    expect(await translatePrompt("https://a.example/x.png一只猫--ar 16:9", translator)).toBe(
      "https://a.example/x.png [一只猫] --ar 16:9",
    );
  });

  it("mentions, multi-prompt weights and Chinese-keyboard dashes survive", async () => {
    const translator = bracketing();
    expect(await translatePrompt("<@123456> 猫::2 狗::-0.5 一只猫 —ar 3:2 ——v 6", translator)).toBe(
      "<@123456> [猫]::2 [狗]::-0.5 [一只猫] —ar 3:2 ——v 6",
    );
  });

  it("a Chinese word after --no is translated, since Midjourney reads it as words", async () => {
    const translator = bracketing();
    expect(await translatePrompt("城市 --no 汽车 --style raw", translator)).toBe(
      "[城市] --no [汽车] --style raw",
    );
  });

  it("mixed English and Chinese words go to the provider together, keeping their context", async () => {
    const translator = bracketing();
    expect(await translatePrompt("a red 灯笼 at night --ar 1:1", translator)).toBe(
      "[a red 灯笼 at night] --ar 1:1",
    );
    expect(translator.asked).toEqual(["a red 灯笼 at night"]);
  });

  it("a provider that answers nothing fails instead of sending an empty prompt", async () => {
    const empty: Translator = { translate: async () => "  " };
    await expect(translatePrompt("一只猫", empty)).rejects.toThrow(/empty translation/);
  });

  it("without a translator the prompt is returned as written", async () => {
    expect(await translatePrompt("一只猫 --ar 1:1", null)).toBe("一只猫 --ar 1:1");
  });
});

describe("recognising Chinese, Japanese and Korean text", () => {
  it.each([
    ["一只猫", true],
    ["ねこ", true],
    ["고양이", true],
    ["cat，", true],
    ["𠀀", true],
    ["a cat, café, naïve — 16:9", false],
    ["", false],
  ])("%s → %s", (text, expected) => {
    expect(containsCjk(text)).toBe(expected);
  });
});
