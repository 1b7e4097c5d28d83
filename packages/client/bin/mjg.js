#!/usr/bin/env node
// The installed `mjg`: runs the TypeScript CLI through tsx, like the rest of the workspace.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
