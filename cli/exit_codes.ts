/**
 * The one table from error kinds to process exit codes.
 *
 * @module
 */
import { kindOfCode } from "../common/error_codes.ts";

export { EXIT_CODES, type ExitName } from "../common/exit_codes.ts";
import { EXIT_CODES, type ExitName } from "../common/exit_codes.ts";

/** A command-line mistake: wrong flags, missing arguments, unreadable input. Exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly kind = "usage";
}

/** Which exit code each error kind gets: client kinds, server kinds and usage. */
const BY_KIND: Record<string, ExitName> = {
  usage: "usage",
  parse_error: "usage",
  invalid_request: "usage",
  method_not_found: "usage",
  invalid_params: "usage",
  invalid_input_file: "usage",
  template_error: "usage",
  internal_error: "internal",
  server_error: "internal",
  database: "internal",
  not_running: "unreachable",
  unsafe_socket: "unreachable",
  connection_lost: "unreachable",
  timeout: "unreachable",
  not_found: "not_found",
  conflict: "conflict",
  invalid_state: "conflict",
  ssh_failed: "remote",
  slurm_rejected: "remote",
  provider_failed: "remote",
  unsupported: "remote",
  cancelled: "interrupted",
  aborted: "interrupted",
};

/**
 * Maps any thrown value to an exit code: by its `kind`, or, for a specific kind this table does not
 * list (such as `host_key_mismatch` under the SSH code), by its JSON-RPC `code`.
 */
export function exitCodeFor(error: unknown): number {
  if (typeof error !== "object" || error === null) return EXIT_CODES.internal;
  const kind = "kind" in error && typeof error.kind === "string" ? error.kind : undefined;
  const code = "code" in error && typeof error.code === "number"
    ? kindOfCode(error.code)
    : undefined;
  const name = (kind === undefined ? undefined : BY_KIND[kind]) ??
    (code === undefined ? undefined : BY_KIND[code]);
  return EXIT_CODES[name ?? "internal"];
}
