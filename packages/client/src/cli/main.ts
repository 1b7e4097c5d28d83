// `mjg`: the command line of the gateway (`pnpm mjg …` in the workspace, or the package's bin).
import { run } from "./program.js";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted")));

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
// Keep-alive sockets and timers must not hold the exit; stdout/stderr writes are synchronous here.
process.exit(code);
