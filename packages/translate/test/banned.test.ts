import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BannedWords } from "../src/index.js";

describe("banned words", () => {
  const banned = new BannedWords(["gore", "Blood Bath", "血腥", "裸体"]);

  it("a latin word is refused as a whole word, whatever its case", () => {
    expect(banned.find("a GORE scene --ar 16:9")).toBe("gore");
    expect(banned.find("gore.")).toBe("gore");
    expect(banned.find("ＧＯＲＥ")).toBe("gore");
  });

  it("a latin word inside a longer word is not refused", () => {
    expect(banned.find("Gorey tale, gorebound, algorean")).toBeNull();
  });

  it("a phrase matches across any spacing and is named as configured", () => {
    expect(banned.find("a blood   bath at dawn")).toBe("Blood Bath");
  });

  it("a CJK word is refused anywhere inside the text", () => {
    expect(banned.find("一个很血腥的场面")).toBe("血腥");
    expect(banned.find("cat裸体--ar 1:1")).toBe("裸体");
  });

  it("the refusal names the banned word that comes first in the prompt", () => {
    expect(banned.find("裸体 and gore")).toBe("裸体");
    expect(banned.find("gore and 裸体")).toBe("gore");
  });

  it("a clean prompt passes", () => {
    expect(banned.find("一只猫在草地上 --ar 16:9")).toBeNull();
    expect(new BannedWords([]).find("anything at all")).toBeNull();
  });

  it("words with regex characters are matched literally", () => {
    expect(new BannedWords(["c++"]).find("learn c++ today")).toBe("c++");
    expect(new BannedWords(["a.b"]).find("axb")).toBeNull();
  });
});

describe("banned words from the environment", () => {
  const dir = mkdtempSync(join(tmpdir(), "mjg-banned-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads BANNED_WORDS (comma-separated) and BANNED_WORDS_FILE (one per line, # comments)", () => {
    const file = join(dir, "words.txt");
    writeFileSync(file, "# operators' list\r\nviolence\n\n  暴力  \n#ignored\n");
    const banned = BannedWords.fromEnv({ BANNED_WORDS: " gore,，血腥 ", BANNED_WORDS_FILE: file });
    expect(banned.size).toBe(4);
    expect(banned.find("Violence!")).toBe("violence");
    expect(banned.find("很暴力")).toBe("暴力");
    expect(banned.find("gore")).toBe("gore");
    expect(banned.find("血腥")).toBe("血腥");
    expect(banned.find("ignored")).toBeNull();
  });

  it("no variables means no banned words", () => {
    expect(BannedWords.fromEnv({}).size).toBe(0);
  });

  it("a missing file stops start-up naming the variable and the path", () => {
    const missing = join(dir, "nope.txt");
    expect(() => BannedWords.fromEnv({ BANNED_WORDS_FILE: missing })).toThrow(
      new RegExp(`BANNED_WORDS_FILE: cannot read ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
    );
  });
});
