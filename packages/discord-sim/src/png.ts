import { deflateSync } from "node:zlib";

/**
 * Palette PNGs whose pixel data never changes per layout: only the PLTE chunk depends on the
 * job hash, so every image of a kind has the same byte size and costs one small concat to make.
 */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export type Rgb = readonly [number, number, number];

export interface PaletteLayout {
  readonly width: number;
  readonly height: number;
  readonly colors: number;
  /** Bytes of every PNG of this layout. */
  readonly size: number;
  render(palette: readonly Rgb[]): Buffer;
}

/** Colour type 3 (indexed), bit depth 8, one filter byte (0) per row. */
export function paletteLayout(
  width: number,
  height: number,
  colors: number,
  indexAt: (x: number, y: number) => number,
): PaletteLayout {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1);
    for (let x = 0; x < width; x++) raw[row + 1 + x] = indexAt(x, y);
  }
  const head = Buffer.concat([SIGNATURE, chunk("IHDR", ihdr)]);
  const tail = Buffer.concat([chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
  const size = head.length + 12 + colors * 3 + tail.length;
  return {
    width,
    height,
    colors,
    size,
    render(palette) {
      const plte = Buffer.alloc(colors * 3);
      for (let i = 0; i < colors; i++) {
        const [r, g, b] = palette[i] ?? [0, 0, 0];
        plte[i * 3] = r;
        plte[i * 3 + 1] = g;
        plte[i * 3 + 2] = b;
      }
      return Buffer.concat([head, chunk("PLTE", plte), tail], size);
    },
  };
}

/** A one-colour PNG: input images for tests and benchmarks (uploads, blends, masks). */
export function solidPng(width: number, height: number, rgb: Rgb): Buffer {
  return paletteLayout(width, height, 1, () => 0).render([rgb]);
}
