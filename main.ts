/**
 * crystalmath-server's entry point: runs the CLI and exits with the code it returns. This is the
 * only place that calls `Deno.exit`.
 *
 * @module
 */
import { run } from "./cli/run.ts";

if (import.meta.main) Deno.exit(await run(Deno.args));
