/**
 * The one table of JSON-RPC error codes and the kinds they carry in `error.data.kind`.
 * The protocol codes keep their JSON-RPC 2.0 meaning; the rest are the application's, in the
 * server range -32000..-32099.
 *
 * @module
 */

/** Every error kind, with its code and a short description for docs and discovery. */
export const ERROR_KINDS = {
  parse_error: { code: -32700, description: "The message is not valid JSON or not valid UTF-8" },
  invalid_request: { code: -32600, description: "The message is not a valid JSON-RPC 2.0 request" },
  method_not_found: { code: -32601, description: "No method has that name" },
  invalid_params: { code: -32602, description: "Params do not match the method's schema" },
  internal_error: { code: -32603, description: "An unexpected failure inside the daemon" },
  server_error: { code: -32000, description: "The server cannot serve the request now" },
  database: { code: -32001, description: "The database failed" },
  ssh_failed: { code: -32002, description: "An SSH connection failed" },
  slurm_rejected: { code: -32003, description: "SLURM refused or failed a command" },
  not_found: { code: -32004, description: "The named object does not exist" },
  conflict: { code: -32005, description: "The object already exists or clashes with another" },
  invalid_state: { code: -32006, description: "The object is not in a state that allows this" },
  invalid_input_file: { code: -32007, description: "An input file (a CRYSTAL deck) is invalid" },
  timeout: { code: -32008, description: "The operation took longer than allowed" },
  cancelled: { code: -32009, description: "The request was cancelled" },
  provider_failed: {
    code: -32010,
    description: "A materials database (an OPTIMADE provider) failed or was unreachable",
  },
  template_error: {
    code: -32011,
    description: "A template could not be parsed or rendered, or went past its limits",
  },
  unsupported: {
    code: -32012,
    description:
      "The host lacks what this needs (AiiDA on a cluster); the message says what to install",
  },
} as const;

/** The name of an error kind. */
export type ErrorKind = keyof typeof ERROR_KINDS;

/** The kinds a method may declare in its `errors` list (protocol kinds are implicit). */
export type AppErrorKind = Exclude<
  ErrorKind,
  "parse_error" | "invalid_request" | "method_not_found" | "invalid_params" | "internal_error"
>;

/** Looks up the kind for a code; undefined for a code this table does not know. */
export function kindOfCode(code: number): ErrorKind | undefined {
  for (const [kind, entry] of Object.entries(ERROR_KINDS)) {
    if (entry.code === code) return kind as ErrorKind;
  }
  return undefined;
}
