/**
 * The process exit codes of every command, shared by the CLI and the client that starts the daemon.
 *
 * @module
 */

/** Exit codes, documented in the README. */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  unreachable: 3,
  not_found: 4,
  conflict: 5,
  remote: 6,
  interrupted: 130,
} as const;

/** An exit code's name. */
export type ExitName = keyof typeof EXIT_CODES;
