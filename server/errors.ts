/**
 * Domain errors: `AppError` with a fixed kind from the one error table. Code below `rpc/` throws
 * these and knows nothing of wire codes; `rpc/errors.ts` maps a kind to its JSON-RPC code in one
 * place.
 *
 * @module
 */
import type { ErrorKind } from "../common/error_codes.ts";

/** Options for an AppError: structured detail for the caller, and the error being wrapped. */
export interface AppErrorOptions {
  /**
   * Detail for the caller (sent in `error.data` beside `kind`). Must be JSON and hold no
   * internals. A finer reason than the kind (`host_key_mismatch`) goes in `reason`.
   */
  data?: Record<string, unknown>;
  /** The error this one wraps. Logged, never sent. */
  cause?: unknown;
}

/** A failure the caller must act on; its message and data reach the client. */
export class AppError extends Error {
  override name = "AppError";
  /** The error kind, one of the table in common/error_codes.ts. */
  readonly kind: ErrorKind;
  /** Extra structured detail. */
  readonly data: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.data = options.data;
  }
}

/** Makes the AppError subclass for one kind. */
function kindClass(kind: ErrorKind, name: string) {
  return class extends AppError {
    override name = name;
    constructor(message: string, options?: AppErrorOptions) {
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
/** The request's params are wrong in a way the schema cannot say (a cycle, an unknown pk). */
export const InvalidParamsError = kindClass("invalid_params", "InvalidParamsError");
/** The request was cancelled. */
export const CancelledError = kindClass("cancelled", "CancelledError");
/** The operation took too long. */
export const TimeoutError = kindClass("timeout", "TimeoutError");
/** A materials database (an OPTIMADE provider) failed or could not be reached. */
export const ProviderFailedError = kindClass("provider_failed", "ProviderFailedError");
/** A template could not be parsed or rendered, or went past its limits. */
export const TemplateError = kindClass("template_error", "TemplateError");
/** The host lacks the software this needs (AiiDA on a cluster); the message says what to install. */
export const UnsupportedError = kindClass("unsupported", "UnsupportedError");
/** The database failed. */
export const DatabaseError = kindClass("database", "DatabaseError");
