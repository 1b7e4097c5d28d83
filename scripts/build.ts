// `pnpm build`: bundles each process into one plain-JavaScript file (apps/*/dist/main.js) so that
// production runs `node` without the TypeScript loader: a faster start and about 30 MB less memory.
// Workspace packages are bundled in; npm packages stay external and load from node_modules.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The processes production runs, each from its own folder (its node_modules holds its dependencies). */
export const ENTRIES = [
  { entry: "apps/api/src/main.ts", outfile: "apps/api/dist/main.js" },
  { entry: "apps/worker/src/main.ts", outfile: "apps/worker/dist/main.js" },
] as const;

export class MissingDependencyError extends Error {}

/**
 * Bundles `entry` into `outfile` (a folder under its package); refuses when it imports an npm
 * package that its package.json does not list, which a production install would leave out.
 */
export async function bundle(entry: string, outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [resolve(root, entry)],
    outfile: resolve(root, outfile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    metafile: true,
    // Written below, once the imports are checked: a refused bundle leaves no file behind.
    write: false,
    logLevel: "warning",
    plugins: [
      {
        name: "npm-external",
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("@mjg/") || args.path.startsWith("node:") ? undefined : { external: true },
          );
        },
      },
    ],
  });
  const manifest = resolve(root, outfile, "../../package.json");
  const { dependencies = {} } = JSON.parse(readFileSync(manifest, "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const missing = externalPackages(result.metafile).filter((name) => !(name in dependencies));
  if (missing.length > 0)
    throw new MissingDependencyError(
      `${entry} imports ${missing.join(", ")}: add them to the dependencies of ${relative(root, manifest)}`,
    );
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
}

/** The npm package names a bundle imports (`@scope/name` or `name`, without subpaths). */
function externalPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const { path, external } of output.imports) {
      if (!external || path.startsWith("node:")) continue;
      const parts = path.split("/");
      names.add(path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  return [...names].sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { entry, outfile } of ENTRIES) {
    await bundle(entry, outfile);
    process.stdout.write(`${entry} → ${outfile}\n`);
  }
}
