/** Which Midjourney model a prompt asks for, and the upscale buttons that model puts under a U result. */
export type UpscaleFamily = "v5" | "v6" | "v6r1" | "v7";

/** The current default model when a prompt names none (discord-protocol.md §2: v7 upscalers). */
export const DEFAULT_FAMILY: UpscaleFamily = "v7";

/** `--v 5.2`, `--version 6.1`, `--niji 6`… → the upscaler family (discord-protocol.md §2). */
export function upscaleFamily(prompt: string): UpscaleFamily {
  const params = [...prompt.matchAll(/(?:^|\s)--(v|version|niji)(?:\s+(\d+(?:\.\d+)?))?(?=\s|$)/gi)];
  const last = params.at(-1);
  if (!last) return DEFAULT_FAMILY;
  const name = last[1]!.toLowerCase();
  const value = last[2];
  if (name === "niji") {
    // Niji 5 upscales like v5; niji 6 (the default niji) like v6; niji 7 like v7.
    if (value?.startsWith("5")) return "v5";
    if (value?.startsWith("7")) return "v7";
    return "v6";
  }
  const n = Number(value ?? "7");
  if (!Number.isFinite(n) || n < 6) return "v5";
  if (n >= 7) return "v7";
  return value === "6.1" ? "v6r1" : "v6";
}

export interface UpscaleButton {
  kind: string;
  label: string;
}

/** The two upscale buttons of each family (discord-protocol.md §2). */
export function upscaleKinds(family: UpscaleFamily): [UpscaleButton, UpscaleButton] {
  if (family === "v5")
    return [
      { kind: "upsample_v5_2x", label: "Upscale (2x)" },
      { kind: "upsample_v5_4x", label: "Upscale (4x)" },
    ];
  return [
    { kind: `upsample_${family}_2x_subtle`, label: "Upscale (Subtle)" },
    { kind: `upsample_${family}_2x_creative`, label: "Upscale (Creative)" },
  ];
}

/** What an `upsample_*` kind produces: the content label and how much larger than a U result. */
export function upscaleResult(kind: string): { label: string; scale: 2 | 4 } {
  if (kind.endsWith("_4x")) return { label: "Upscaled (4x)", scale: 4 };
  if (kind.endsWith("_2x")) return { label: "Upscaled (2x)", scale: 2 };
  if (kind.includes("creative")) return { label: "Upscaled (Creative)", scale: 2 };
  return { label: "Upscaled (Subtle)", scale: 2 };
}
