import { readFileSync } from "node:fs";
import { containsCjk } from "./cjk.js";
import type { TranslateEnv } from "./env.js";

interface BannedWord {
  /** As configured, so the refusal names the word the operator wrote. */
  word: string;
  /** Finds the word in a normalised prompt and returns where it starts, or -1. */
  indexIn(prompt: string): number;
}

/** Case folding and fullwidth letters ("ＮＳＦＷ") must not slip past the list. */
function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compile(word: string): BannedWord {
  const needle = normalise(word);
  // CJK is written without spaces, so a CJK word is banned wherever it appears.
  if (containsCjk(needle)) return { word, indexIn: (prompt) => prompt.indexOf(needle) };
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}_])${escapeRegExp(needle).replace(/\s+/g, "\\s+")}(?![\\p{L}\\p{N}_])`,
    "u",
  );
  return { word, indexIn: (prompt) => prompt.search(pattern) };
}

/** An operator's list of words that refuse a prompt. */
export class BannedWords {
  readonly #words: BannedWord[];

  constructor(words: string[]) {
    const unique = new Map<string, string>();
    for (const raw of words) {
      const word = raw.trim();
      if (word && !unique.has(normalise(word))) unique.set(normalise(word), word);
    }
    this.#words = [...unique.values()].map(compile);
  }

  /** BANNED_WORDS (comma-separated) plus BANNED_WORDS_FILE (one per line, # comments); read once. */
  static fromEnv(env: Pick<TranslateEnv, "BANNED_WORDS" | "BANNED_WORDS_FILE">): BannedWords {
    const words = (env.BANNED_WORDS ?? "").split(/[,，]/);
    if (env.BANNED_WORDS_FILE) {
      let text: string;
      try {
        text = readFileSync(env.BANNED_WORDS_FILE, "utf8");
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new Error(`BANNED_WORDS_FILE: cannot read ${env.BANNED_WORDS_FILE} (${reason})`);
      }
      for (const line of text.split(/\r?\n/)) if (!line.trim().startsWith("#")) words.push(line);
    }
    return new BannedWords(words);
  }

  get size(): number {
    return this.#words.length;
  }

  /** The banned word that appears first in the prompt (as configured), or null when there is none. */
  find(prompt: string): string | null {
    if (this.#words.length === 0) return null;
    const text = normalise(prompt);
    let found: { word: string; index: number } | null = null;
    for (const banned of this.#words) {
      const index = banned.indexIn(text);
      if (index < 0) continue;
      if (
        !found ||
        index < found.index ||
        (index === found.index && banned.word.length > found.word.length)
      ) {
        found = { word: banned.word, index };
      }
    }
    return found?.word ?? null;
  }
}
