/**
 * Characters of Chinese, Japanese and Korean text and their punctuation: Han ideographs, kana,
 * Hangul, CJK symbols and the fullwidth forms Chinese input methods type.
 */
export const CJK_CHARS =
  "\\u2E80-\\u2FDF\\u3000-\\u30FF\\u3100-\\u312F\\u3130-\\u318F\\u31A0-\\u31FF\\u3200-\\u4DBF" +
  "\\u4E00-\\u9FFF\\uA960-\\uA97F\\uAC00-\\uD7AF\\uF900-\\uFAFF\\uFE30-\\uFE4F\\uFF00-\\uFFEF" +
  "\\u{20000}-\\u{3134F}";

const CJK = new RegExp(`[${CJK_CHARS}]`, "u");

export function containsCjk(text: string): boolean {
  return CJK.test(text);
}
