import { isIP } from "node:net";

type Range = readonly [base: number, bits: number];

// IPv4 ranges a callback must never reach: RFC 6890 special-purpose blocks.
const PRIVATE_V4: readonly Range[] = [
  [v4("0.0.0.0"), 8], // "this network"
  [v4("10.0.0.0"), 8],
  [v4("100.64.0.0"), 10], // carrier-grade NAT
  [v4("127.0.0.0"), 8],
  [v4("169.254.0.0"), 16], // link-local, cloud metadata
  [v4("172.16.0.0"), 12],
  [v4("192.0.0.0"), 24], // IETF protocol assignments
  [v4("192.0.2.0"), 24], // documentation
  [v4("192.88.99.0"), 24], // 6to4 relay anycast
  [v4("192.168.0.0"), 16],
  [v4("198.18.0.0"), 15], // benchmarking
  [v4("198.51.100.0"), 24],
  [v4("203.0.113.0"), 24],
  [v4("224.0.0.0"), 4], // multicast
  [v4("240.0.0.0"), 4], // reserved, broadcast
];

function v4(text: string): number {
  const parts = text.split(".").map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inV4Range(address: number, [base, bits]: Range): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (address & mask) >>> 0 === (base & mask) >>> 0;
}

function isPrivateV4(address: number): boolean {
  return PRIVATE_V4.some((range) => inV4Range(address, range));
}

/** Eight 16-bit groups, or null when the text is not an IPv6 address. */
function parseV6(text: string): number[] | null {
  let rest = text.split("%")[0]!.toLowerCase();
  const tail: number[] = [];
  const dotted = rest.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    if (isIP(dotted[2]!) !== 4) return null;
    const value = v4(dotted[2]!);
    tail.push(value >>> 16, value & 0xffff);
    rest = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const back = halves.length === 2 ? groups(halves[1]!) : [];
  const explicit = head.length + back.length + tail.length;
  if (halves.length === 1 && explicit !== 8) return null;
  if (halves.length === 2 && explicit > 7) return null;
  const filler = halves.length === 2 ? new Array<string>(8 - explicit).fill("0") : [];
  const hex = [...head, ...filler, ...back];
  if (hex.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return null;
  return [...hex.map((group) => Number.parseInt(group, 16)), ...tail];
}

function embeddedV4(groups: number[], at: number): number {
  return ((groups[at]! << 16) | groups[at + 1]!) >>> 0;
}

function isPrivateV6(g: number[]): boolean {
  const zeros = (from: number, to: number) => g.slice(from, to).every((group) => group === 0);
  if (zeros(0, 8)) return true; // ::
  if (zeros(0, 7) && g[7] === 1) return true; // ::1
  if (zeros(0, 5) && g[5] === 0xffff) return isPrivateV4(embeddedV4(g, 6)); // ::ffff:a.b.c.d mapped
  if (zeros(0, 6)) return isPrivateV4(embeddedV4(g, 6)); // ::a.b.c.d, deprecated IPv4-compatible
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return isPrivateV4(embeddedV4(g, 6)); // SIIT translated
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return isPrivateV4(embeddedV4(g, 6)); // NAT64
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return true; // local-use NAT64
  if (g[0] === 0x100 && zeros(1, 4)) return true; // discard-only
  if (g[0] === 0x2001 && g[1] === 0) return true; // Teredo: the IPv4 inside is obfuscated
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // documentation
  if (g[0] === 0x2002) return isPrivateV4(embeddedV4(g, 1)); // 6to4
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return true; // fec0::/10 old site-local
  if ((first & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/**
 * True when a callback must not go to this address: loopback, private, link-local (metadata),
 * CGNAT, multicast, reserved, and IPv6 forms that embed such an IPv4. Unparseable text counts as
 * private, so a surprise never opens the guard.
 */
export function isPrivateAddress(ip: string): boolean {
  const text = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (isIP(text) === 4) return isPrivateV4(v4(text));
  const groups = parseV6(text);
  return groups === null ? true : isPrivateV6(groups);
}
