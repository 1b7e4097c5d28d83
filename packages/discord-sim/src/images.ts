import { type PaletteLayout, paletteLayout, type Rgb } from "./png.js";

/** What a CDN URL shows; kept per attachment id so GET can render it on demand. */
export type ImageSpec =
  | { kind: "grid"; hash: string }
  | { kind: "preview"; hash: string }
  | { kind: "single"; hash: string; index: number; scale?: 1 | 2 | 4 };

const GRID = 256;
const PREVIEW = 128;
// A U result is larger than its grid quadrant; Upscale (2x)/(Subtle)/(Creative) doubles it again.
const SINGLE = 256;

const stripes = (size: number) =>
  paletteLayout(size, size, 2, (x, y) => ((((x + y) * GRID) / size) >> 5) & 1);

const layouts = {
  // Four quadrants, one palette entry each: the 2x2 grid of a finished job.
  grid: paletteLayout(GRID, GRID, 4, (x, y) => (y >= GRID / 2 ? 2 : 0) + (x >= GRID / 2 ? 1 : 0)),
  // The in-progress preview: the same grid, smaller (Discord calls it grid_0.webp).
  preview: paletteLayout(
    PREVIEW,
    PREVIEW,
    4,
    (x, y) => (y >= PREVIEW / 2 ? 2 : 0) + (x >= PREVIEW / 2 ? 1 : 0),
  ),
  // An upscale: one tile's colour with diagonal stripes so it is visibly a picture of its own.
  single: stripes(SINGLE),
} satisfies Record<ImageSpec["kind"], PaletteLayout>;

// Built on first use: the 4x layout costs a few milliseconds to compress.
const scaled = new Map<number, PaletteLayout>();

export function layoutOf(spec: ImageSpec): PaletteLayout {
  if (spec.kind !== "single" || !spec.scale || spec.scale === 1) return layouts[spec.kind];
  let layout = scaled.get(spec.scale);
  if (!layout) {
    layout = stripes(SINGLE * spec.scale);
    scaled.set(spec.scale, layout);
  }
  return layout;
}

/** Four distinct tile colours from the hex digits of a job hash. */
export function tileColors(hash: string): Rgb[] {
  const hex = hash.replace(/-/g, "").padEnd(24, "0");
  const colors: Rgb[] = [];
  for (let i = 0; i < 4; i++) {
    const v = Number.parseInt(hex.slice(i * 6, i * 6 + 6), 16) || 0;
    let c: Rgb = [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
    // Nudge duplicates so the four quadrants always differ.
    while (colors.some((o) => o[0] === c[0] && o[1] === c[1] && o[2] === c[2])) {
      c = [(c[0] + 64) & 0xff, (c[1] + 32) & 0xff, c[2]];
    }
    colors.push(c);
  }
  return colors;
}

export function renderImage(spec: ImageSpec): Buffer {
  const tiles = tileColors(spec.hash);
  if (spec.kind === "single") {
    const base = tiles[(spec.index - 1) & 3]!;
    const shade: Rgb = [base[0] >> 1, base[1] >> 1, base[2] >> 1];
    return layoutOf(spec).render([base, shade]);
  }
  return layouts[spec.kind].render(tiles);
}
