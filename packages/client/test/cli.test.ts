import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { solidPng } from "@mjg/discord-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../../apps/worker/test/harness.js";
import { EXIT } from "../src/cli/exit.js";
import { MjgClient, type MjTask } from "../src/index.js";

const BIN = resolve(fileURLToPath(new URL("../bin/mjg.js", import.meta.url)));
const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: Stack;
let work: string;

/** `mjg …` as a child process, stdout and stderr pipes (not a terminal). */
function mjg(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: work, env: { ...process.env, MJG_URL: stack.apiUrl, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** `mjg …` on a pseudo-terminal (util-linux `script`): what a person at a terminal sees. */
function mjgOnTerminal(args: string[]): Promise<Run> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((done) => {
    execFile(
      "script",
      ["-qfec", quoted, "/dev/null"],
      { cwd: work, env: { ...process.env, MJG_URL: stack.apiUrl, COLUMNS: "160" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

const isPng = (path: string) => readFileSync(path).subarray(1, 4).toString() === "PNG";

beforeAll(async () => {
  stack = await startStack({ stepDelayMs: 5 });
  work = mkdtempSync(join(tmpdir(), "mjg-cli-"));
  writeFileSync(join(work, "a.png"), solidPng(16, 16, [255, 0, 0]));
  writeFileSync(join(work, "b.png"), solidPng(16, 16, [0, 0, 255]));
  writeFileSync(join(work, "notes.txt"), "not an image");
});
afterAll(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("mjg as a person uses it", () => {
  it("imagine --wait --out prints one line per change without a terminal and saves the image", async () => {
    const run = await mjg(["imagine", "a lighthouse at dawn", "--wait", "--out", "out"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(EXIT.OK);
    const id = /submitted task (\d+)/.exec(run.stdout)![1]!;
    // Plain lines, each a change: status, percentage, elapsed; the last one the end.
    const lines = run.stdout.split("\n").filter((line) => line.startsWith(`task ${id}: `));
    for (const line of lines) expect(line).toMatch(/^task \d+: [A-Z_]+ \d{1,3}% \(\d+s\)$/);
    expect(new Set(lines.map((line) => line.replace(/ \(\d+s\)$/, ""))).size).toBe(lines.length);
    expect(lines.at(-1)).toMatch(/: SUCCESS 100% \(\d+s\)$/);
    expect(run.stdout).not.toContain("\x1b[");
    expect(run.stdout).toContain(`saved: ${join(work, "out", `${id}.png`)}`);
    expect(readdirSync(join(work, "out"))).toEqual([`${id}.png`]);
    expect(isPng(join(work, "out", `${id}.png`))).toBe(true);
  });

  it.skipIf(!hasScript)(
    "on a terminal the progress is a live bar with percentage, status and elapsed time",
    async () => {
      const run = await mjgOnTerminal(["imagine", "a red fox in snow", "--wait"]);
      expect(run.code).toBe(EXIT.OK);
      // The bar redraws its line in place (cursor to column 1) and ends full.
      expect(run.stdout).toContain("\x1b[1G");
      expect(run.stdout).toMatch(/█+ 100% \| SUCCESS \| \d+s \| task \d{16}/);
      expect(run.stdout).toMatch(/SUCCESS task \d{16} \(IMAGINE\)/);
    },
  );

  it("--json gives scripts the task, and the files saved", async () => {
    const run = await mjg(["--json", "imagine", "a tin robot", "--out", "json-out"]);
    expect(run.code).toBe(EXIT.OK);
    const task = JSON.parse(run.stdout) as MjTask & { files: string[] };
    expect(task).toMatchObject({ status: "SUCCESS", action: "IMAGINE", prompt: "a tin robot" });
    expect(task.files).toEqual([join(work, "json-out", `${task.id}.png`)]);

    const submitted = JSON.parse((await mjg(["imagine", "a paper boat", "--json"])).stdout);
    expect(submitted).toMatchObject({ code: 1, modal: false });
    const fetched = await mjg(["--json", "wait", submitted.id]);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ id: submitted.id, status: "SUCCESS" });

    const list = JSON.parse((await mjg(["list", "--status", "SUCCESS", "--json"])).stdout);
    expect(list.tasks.length).toBeGreaterThan(0);
    expect(list.tasks.every((t: MjTask) => t.status === "SUCCESS")).toBe(true);
    const accounts = JSON.parse((await mjg(["accounts", "--json"])).stdout);
    expect(accounts[0]).toMatchObject({ enable: true });
  });

  it("upscale, vary, fetch, list and watch on a finished grid", async () => {
    const grid = JSON.parse((await mjg(["--json", "imagine", "a pine forest", "--wait"])).stdout) as MjTask;
    const up = await mjg(["upscale", grid.id, "2", "--wait", "--out", "up"]);
    expect(up.code).toBe(EXIT.OK);
    expect(up.stdout).toMatch(/SUCCESS task \d+ \(UPSCALE\)/);
    expect(readdirSync(join(work, "up"))).toHaveLength(1);
    const vary = await mjg(["vary", grid.id, "3", "--wait"]);
    expect(vary.stdout).toMatch(/SUCCESS task \d+ \(VARIATION\)/);

    const fetched = await mjg(["fetch", grid.id]);
    expect(fetched.stdout).toMatch(/status: +SUCCESS 100%/);
    expect(fetched.stdout).toMatch(/MJ::JOB::upsample::1::/);

    const list = await mjg(["list", "--status", "SUCCESS", "--action", "UPSCALE"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID +ACTION +STATUS +PROGRESS/);
    expect(list.stdout).toMatch(/UPSCALE +SUCCESS +100%/);
    expect(list.stdout).not.toMatch(/IMAGINE/);

    const watch = await mjg(["watch", "--count", "1", "--limit", "5"]);
    expect(watch.code).toBe(EXIT.OK);
    expect(watch.stdout).toContain(grid.id);
  });

  it("action on a pop-up button says how to answer it; modal runs it", async () => {
    const mj = new MjgClient({ baseUrl: stack.apiUrl });
    const grid = await mj.waitFor((await mj.imagine({ prompt: "a harbour" })).id);
    const up = await mj.waitFor((await mj.upscale(grid.id, 1)).id);
    const zoom = up.buttons.find((b) => b.customId.startsWith("MJ::CustomZoom::"))!.customId;
    const clicked = await mjg(["action", up.id, zoom]);
    expect(clicked.code).toBe(EXIT.OK);
    const id = /task (\d+) waits for its pop-up: mjg modal \1/.exec(clicked.stdout)![1]!;
    const answered = await mjg(["modal", id, "--prompt", "a harbour --zoom 1.5", "--wait"]);
    expect(answered.stdout).toMatch(/SUCCESS task \d+ \(ZOOM\)/);
  });

  it("describe a file and blend two, with their answers printed", async () => {
    const described = await mjg(["describe", "a.png", "--wait"]);
    expect(described.code).toBe(EXIT.OK);
    expect(described.stdout).toMatch(/1️⃣/);
    const blended = await mjg([
      "blend",
      "a.png",
      "b.png",
      "--dimensions",
      "landscape",
      "--wait",
      "-o",
      "blend",
    ]);
    expect(blended.stdout).toMatch(/SUCCESS task \d+ \(BLEND\)/);
    expect(readdirSync(join(work, "blend"))).toHaveLength(1);
  });

  it("a config file gives the URL when neither flag nor env does", async () => {
    writeFileSync(join(work, "mjg.json"), JSON.stringify({ url: stack.apiUrl }));
    const run = await mjg(["accounts", "--config", "mjg.json"], { MJG_URL: "" });
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^ID +ENABLED/);
  });
});

describe("mjg exit codes", () => {
  it("bad arguments print the usage and exit 2", async () => {
    for (const args of [
      [],
      ["upscale", "1795960729113815", "9"],
      ["frobnicate"],
      ["imagine"],
      ["blend", "a.png", "b.png", "--dimensions", "round"],
      ["list", "--status", "DONE"],
      ["describe", "missing.png"],
      ["describe", "notes.txt"],
      ["blend", "a.png"],
    ]) {
      const run = await mjg(args);
      expect(run.code, args.join(" ")).toBe(EXIT.USAGE);
      expect(run.stderr, args.join(" ")).toMatch(/Usage: mjg|mjg --help/);
      expect(run.stdout, args.join(" ")).toBe("");
    }
    expect((await mjg(["--help"])).code).toBe(EXIT.OK);
  });

  it("a refusal exits 3 with the gateway's words; --json puts them on stderr as JSON", async () => {
    const run = await mjg(["fetch", "1234567890123456"]);
    expect(run.code).toBe(EXIT.REFUSED);
    expect(run.stderr).toContain("任务不存在 (HTTP 404, code 3, TASK_NOT_FOUND)");
    const json = await mjg(["--json", "imagine", " "]);
    expect(json.code).toBe(EXIT.REFUSED);
    expect(JSON.parse(json.stderr).error).toMatchObject({ status: 400, code: 4, reason: "PROMPT_REQUIRED" });
  });

  it("a cancelled task exits 4, a wait past --timeout 6, an unreachable gateway 5", async () => {
    const mj = new MjgClient({ baseUrl: stack.apiUrl });
    const grid = await mj.waitFor((await mj.imagine({ prompt: "a field" })).id);
    const up = await mj.waitFor((await mj.upscale(grid.id, 4)).id);
    const modal = await mj.action(
      up.id,
      up.buttons.find((b) => b.customId.startsWith("MJ::CustomZoom::"))!.customId,
    );

    const late = await mjg(["wait", modal.id, "--timeout", "0.5"]);
    expect(late.code).toBe(EXIT.TIMEOUT);
    expect(late.stderr).toContain("did not finish in time (last seen MODAL");

    await mj.cancel(modal.id);
    const cancelled = await mjg(["wait", modal.id]);
    expect(cancelled.code).toBe(EXIT.TASK_FAILED);
    expect(cancelled.stdout).toMatch(/CANCEL task \d+/);

    const port = await closedPort();
    const away = await mjg(["list"], { MJG_URL: `http://127.0.0.1:${port}` });
    expect(away.code).toBe(EXIT.UNAVAILABLE);
    expect(away.stderr).toMatch(/cannot reach .*is the gateway running\?/);
  });
});
