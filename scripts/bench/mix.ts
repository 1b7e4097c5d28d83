// The task mix of `pnpm bench:e2e` (BENCH_WORKLOAD=mix, the default): imagine 50 %, U 20 %, V 10 %,
// zoom/pan 10 %, describe 5 %, blend 5 %, all through the /mj API. Button tasks click a random finished
// parent of the right kind, so the run also measures what follows a grid.
import { createRng, solidPng } from "@mjg/discord-sim";
import type { TaskRecord, TaskStore } from "@mjg/shared";

type Kind = "imagine" | "upscale" | "variation" | "zoom-pan" | "describe" | "blend";
const SHARES: [Kind, number][] = [
  ["imagine", 0.5],
  ["upscale", 0.2],
  ["variation", 0.1],
  ["zoom-pan", 0.1],
  ["describe", 0.05],
  ["blend", 0.05],
];
const ZOOM_PAN = [/^MJ::Outpaint::50::/, /^MJ::Outpaint::75::/, /^MJ::JOB::pan_(left|right|up|down)::/];

export interface MixResult {
  ids: string[];
  refused: number;
  failed: number;
  lost: number;
  /** How many tasks of each kind were accepted. */
  counts: Record<Kind, number>;
}

const image = (n: number) =>
  `data:image/png;base64,${solidPng(16, 16, [n % 256, (n * 7) % 256, (n * 13) % 256]).toString("base64")}`;

export async function runMix(options: {
  url: string;
  store: TaskStore;
  total: number;
  concurrency: number;
  deadlineMs: number;
}): Promise<MixResult> {
  const { url, store, total } = options;
  // Seeded, so two runs submit the same workload.
  const random = createRng(20261129);
  const plan: Kind[] = [];
  for (const [kind, share] of SHARES) for (let i = 0; i < Math.round(total * share); i++) plan.push(kind);
  // Imagines first, so button tasks find parents; the rest shuffled after them.
  const imagines = plan.filter((kind) => kind === "imagine");
  const others = plan.filter((kind) => kind !== "imagine");
  const half = Math.ceil(imagines.length / 2);
  const queue = [...imagines.slice(0, half), ...shuffle([...imagines.slice(half), ...others], random)];

  const counts = Object.fromEntries(SHARES.map(([kind]) => [kind, 0])) as Record<Kind, number>;
  const ids: string[] = [];
  const open = new Set<string>();
  const grids: TaskRecord[] = [];
  const upscales: TaskRecord[] = [];
  let refused = 0;
  let failed = 0;
  const until = Date.now() + options.deadlineMs;

  async function post(path: string, body: object): Promise<string | null> {
    const response = await fetch(`${url}/mj/submit/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const answer = (await response.json()) as { code: number; result?: string };
    return (answer.code === 1 || answer.code === 22) && typeof answer.result === "string"
      ? answer.result
      : null;
  }

  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];

  /** The request for one task of the mix, or null while it has no finished parent yet. */
  function request(kind: Kind, n: number): [string, object] | null {
    switch (kind) {
      case "imagine":
        return ["imagine", { prompt: `benchmark lighthouse ${n} --ar 3:2` }];
      case "describe":
        return ["describe", { base64: image(n) }];
      case "blend":
        return ["blend", { base64Array: [image(n), image(n + 1)], dimensions: "SQUARE" }];
      case "upscale":
      case "variation": {
        const grid = pick(grids);
        if (!grid) return null;
        const quadrant = 1 + Math.floor(random() * 4);
        const prefix = kind === "upscale" ? "MJ::JOB::upsample::" : "MJ::JOB::variation::";
        const button = grid.buttons.find((b) => b.customId.startsWith(`${prefix}${quadrant}::`));
        return button ? ["action", { taskId: grid._id, customId: button.customId }] : null;
      }
      case "zoom-pan": {
        const upscale = pick(upscales);
        if (!upscale) return null;
        const pattern = pick(ZOOM_PAN)!;
        const button = upscale.buttons.find((b) => pattern.test(b.customId));
        return button ? ["action", { taskId: upscale._id, customId: button.customId }] : null;
      }
    }
  }

  /** Reads the open tasks' records: finished ones become parents for later button tasks. */
  async function collect(): Promise<void> {
    const list = [...open];
    for (let i = 0; i < list.length; i += 500) {
      const chunk = list.slice(i, i + 500);
      const records = await store.getMany(chunk);
      records.forEach((record, j) => {
        if (!record) return;
        if (record.status !== "SUCCESS" && record.status !== "FAILURE") return;
        open.delete(chunk[j]!);
        if (record.status === "FAILURE") failed++;
        else if (record.action === "UPSCALE") upscales.push(record);
        else if (record.action === "IMAGINE" || record.action === "VARIATION") grids.push(record);
      });
    }
  }

  let next = 0;
  const deferred: Kind[] = [];
  const submitters = Array.from({ length: options.concurrency }, async () => {
    while ((next < queue.length || deferred.length > 0) && Date.now() < until) {
      // New work first: a task still waiting for a parent must not hold up the others.
      const kind = next < queue.length ? queue[next++]! : deferred.shift()!;
      const n = ids.length + refused;
      const req = request(kind, n);
      if (!req) {
        // No finished parent yet: try again once some have ended.
        deferred.push(kind);
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      // A request that fails outright counts as refused, like a refusal in the envelope.
      const id = await post(req[0], req[1]).catch(() => null);
      if (!id) {
        refused++;
        continue;
      }
      ids.push(id);
      open.add(id);
      counts[kind]++;
    }
  });
  let submitting = true;
  const progress = process.env.BENCH_DEBUG
    ? setInterval(
        () =>
          console.log({
            next,
            deferred: deferred.length,
            ids: ids.length,
            open: open.size,
            grids: grids.length,
            upscales: upscales.length,
            refused,
            failed,
          }),
        2000,
      )
    : null;
  const collector = (async () => {
    while ((submitting || open.size > 0) && Date.now() < until) {
      await collect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.all(submitters);
  submitting = false;
  await collector;
  if (progress) clearInterval(progress);
  return { ids, refused, failed, lost: open.size, counts };
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
