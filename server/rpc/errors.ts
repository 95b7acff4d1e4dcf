/**
 * `RpcError` and its kinds. Handlers throw these for failures a caller must act on; anything else
 * they throw becomes a generic internal error on the wire.
 *
 * @module
 */
import { type AppErrorKind, ERROR_KINDS, type ErrorKind } from "../../common/error_codes.ts";

/** Options for an RpcError: structured detail for `error.data`, and the error being wrapped. */
export interface RpcErrorOptions {
  /** Sent to the client in `error.data`, beside `kind`. Must be JSON and hold no internals. */
  data?: Record<string, unknown>;
  /** The error this one wraps. Logged, never sent. */
  cause?: unknown;
}

/** An error with a JSON-RPC code; its message and data go over the wire. */
export class RpcError extends Error {
  override name = "RpcError";
  /** The error kind, sent as `error.data.kind`. */
  readonly kind: ErrorKind;
  /** Extra structured detail. */
  readonly data: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.data = options.data;
  }

  /** The JSON-RPC code for this kind. */
  get code(): number {
    return ERROR_KINDS[this.kind].code;
  }

  /** The wire form: `{code, message, data: {kind, ...data}}`. */
  toJSON(): { code: number; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: { kind: this.kind, ...this.data } };
  }
}

/** Makes the RpcError subclass for one application kind. */
function kindClass(kind: AppErrorKind, name: string) {
  return class extends RpcError {
    override name = name;
    constructor(message: string, options?: RpcErrorOptions) {
      super(kind, message, options);
    }
  };
}

/** The named object does not exist. */
export const NotFoundError = kindClass("not_found", "NotFoundError");
/** The object already exists or clashes with another. */
export const ConflictError = kindClass("conflict", "ConflictError");
/** The object is not in a state that allows the operation. */
export const InvalidStateError = kindClass("invalid_state", "InvalidStateError");
/** An SSH connection failed. */
export const SshFailedError = kindClass("ssh_failed", "SshFailedError");
/** SLURM refused or failed a command. */
export const SlurmRejectedError = kindClass("slurm_rejected", "SlurmRejectedError");
/** A CRYSTAL input file is invalid. */
export const CrystalInputInvalidError = kindClass("invalid_input_file", "CrystalInputInvalidError");
/** The request was cancelled. */
export const CancelledError = kindClass("cancelled", "CancelledError");
/** The operation took too long. */
export const TimeoutError = kindClass("timeout", "TimeoutError");
/** The database failed. */
export const DatabaseError = kindClass("database", "DatabaseError");
