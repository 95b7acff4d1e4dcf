/**
 * The client's errors. Each has a `kind` the CLI maps to an exit code.
 *
 * @module
 */

/** Why a client call failed. */
export type ClientErrorKind =
  | "not_running"
  | "unsafe_socket"
  | "timeout"
  | "connection_lost"
  | "aborted";

/** A failure on the client's side of the socket. */
export class ClientError extends Error {
  override name = "ClientError";
  readonly kind: ClientErrorKind;

  constructor(kind: ClientErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** The daemon answered with a JSON-RPC error. */
export class ServerError extends Error {
  override name = "ServerError";
  readonly code: number;
  readonly data: unknown;

  constructor(error: { code: number; message: string; data?: unknown }) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }

  /** The error kind the daemon put in `data.kind`, if any. */
  get kind(): string | undefined {
    const data = this.data;
    return typeof data === "object" && data !== null && "kind" in data &&
        typeof data.kind === "string"
      ? data.kind
      : undefined;
  }
}
