import { containsCjk } from "./cjk.js";
import { TranslationError } from "./errors.js";
import { splitPrompt } from "./segments.js";
import type { Translator } from "./translator.js";

/**
 * Translates only the natural-language part of a prompt: `--parameters` (with their values),
 * URLs and <…> spans stay byte-identical; text already ASCII/English is returned unchanged
 * without calling the provider.
 */
export async function translatePrompt(prompt: string, translator: Translator | null): Promise<string> {
  if (!translator || !containsCjk(prompt)) return prompt;
  const segments = splitPrompt(prompt);
  const pieces = await Promise.all(
    segments.map(async (segment) => {
      if (segment.kind === "kept" || !containsCjk(segment.value)) return { ...segment, translated: false };
      return { ...segment, value: await translateText(segment.value, translator), translated: true };
    }),
  );
  let joined = "";
  for (const [i, piece] of pieces.entries()) {
    const previous = pieces[i - 1];
    if (previous && (previous.translated || piece.translated) && needsSpace(joined, piece.value))
      joined += " ";
    joined += piece.value;
  }
  return joined;
}

/** Sends the words without their surrounding spaces, then puts those spaces back. */
async function translateText(text: string, translator: Translator): Promise<string> {
  const [, leading = "", core = "", trailing = ""] = /^(\s*)([\s\S]*?)(\s*)$/.exec(text) ?? [];
  const english = (await translator.translate(core)).trim();
  if (!english) throw new TranslationError("the translation provider returned an empty translation");
  return `${leading}${english}${trailing}`;
}

/**
 * CJK needs no space before a URL or parameter; English does, or the words glue onto the URL.
 * A weight stays attached to the words it weighs ("猫::2" becomes "cat::2").
 */
function needsSpace(before: string, after: string): boolean {
  return Boolean(before) && !/\s$/.test(before) && !/^\s/.test(after) && !after.startsWith("::");
}
