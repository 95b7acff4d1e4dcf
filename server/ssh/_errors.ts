/**
 * The SSH pool's error mapping: ssh2, SFTP and connection failures turned into -32002 and
 * friends, with messages that name the action and the host.
 *
 * @module
 */
import { AppError, NotFoundError, SshFailedError } from "../errors.ts";
import type { Endpoint } from "./_endpoint.ts";
import type { HostKeyInfo } from "./pool.ts";

/** The message of an Error, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | number | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "string" || typeof code === "number" ? code : undefined;
}

function errorLevel(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("level" in error)) return undefined;
  return typeof error.level === "string" ? error.level : undefined;
}

/** The -32002 error for a call whose connection dropped under it. */
export function lostError(
  connection: { endpoint: Endpoint; dropped: AbortSignal },
  action: string,
): Error {
  const cause = connection.dropped.reason;
  return new SshFailedError(
    `Cannot ${action} on ${connection.endpoint.label}: connection lost: ${errorMessage(cause)}`,
    {
      data: { reason: "connection_lost" },
      cause,
    },
  );
}

/** The -32002 error for a failed action on an endpoint, with `data.reason`. */
export function failureError(
  endpoint: Endpoint,
  o: { action: string; error: unknown; reason: string },
): Error {
  return new SshFailedError(`Cannot ${o.action} on ${endpoint.label}: ${errorMessage(o.error)}`, {
    data: { reason: o.reason },
    cause: o.error,
  });
}

/** Maps what a call threw: SFTP status codes to NotFound or -32002, local file errors as they are. */
export function mapCallError(
  error: unknown,
  o: { targetName: string; endpoint: Endpoint; action: string },
): Error {
  const { endpoint, action } = o;
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  if (code === 2) {
    return new NotFoundError(`Cannot ${action} on "${o.targetName}": no such file`, {
      cause: error,
    });
  }
  if (code === 3) {
    return failureError(endpoint, {
      action,
      error: new Error("permission denied"),
      reason: "sftp_failed",
    });
  }
  if (typeof code === "number") {
    return failureError(endpoint, { action, error, reason: "sftp_failed" });
  }
  // Local file system errors (Deno's, or node:fs inside fastGet) are not SSH failures.
  if (
    typeof code === "string" || Object.values(Deno.errors).some((type) => error instanceof type)
  ) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return failureError(endpoint, { action, error, reason: "channel_failed" });
}

/** The -32002 error for a host key that is not known; `data.reason` names the case. */
export function hostKeyError(endpoint: Endpoint, info: HostKeyInfo): Error {
  const name = endpoint.keyPort === 22
    ? endpoint.keyHost
    : `[${endpoint.keyHost}]:${endpoint.keyPort}`;
  const base = {
    key_type: info.type,
    presented_fingerprint: info.fingerprint_sha256,
    known_hosts_name: name,
  };
  if (info.status === "mismatch") {
    const expected = info.expected ?? [];
    return new SshFailedError(
      `Cannot connect to ${endpoint.label}: host key changed: the server presents ${info.type} key ${info.fingerprint_sha256}, but known_hosts has ${
        expected.join(", ")
      } for "${name}"; this could be an attack, so the key is refused (if the change is expected, remove the old entry with "ssh-keygen -R ${name}")`,
      {
        data: {
          reason: "host_key_mismatch",
          ...base,
          expected_fingerprint: expected[0] ?? null,
          expected_fingerprints: expected,
        },
      },
    );
  }
  if (info.status === "revoked") {
    return new SshFailedError(
      `Cannot connect to ${endpoint.label}: host key revoked: the server presents ${info.fingerprint_sha256}, which known_hosts marks @revoked`,
      { data: { reason: "host_key_revoked", ...base } },
    );
  }
  return new SshFailedError(
    `Cannot connect to ${endpoint.label}: host key unknown: the server presents ${info.type} key ${info.fingerprint_sha256}, which is not in known_hosts for "${name}"; check the fingerprint and trust it explicitly`,
    { data: { reason: "host_key_unknown", ...base, fingerprint_sha256: info.fingerprint_sha256 } },
  );
}

/** The -32002 error for a failed connection attempt, with ssh2's error level turned into words. */
export function connectError(endpoint: Endpoint, error: unknown): Error {
  if (error instanceof SshFailedError) return error;
  const level = errorLevel(error);
  const code = errorCode(error);
  let detail = errorMessage(error);
  let reason = "connect_failed";
  if (level === "client-authentication") {
    detail =
      `authentication failed for user "${endpoint.user}": the server accepted none of the offered keys`;
    reason = "auth_failed";
  } else if (code === "ECONNREFUSED") detail = "connection refused";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    detail = `host "${endpoint.host}" not found`;
  } else if (code === "EHOSTUNREACH" || code === "ENETUNREACH") detail = "host unreachable";
  else if (level === "client-timeout") {
    detail = `no answer within ${endpoint.readyTimeoutMs} ms (${detail})`;
    reason = "connect_timeout";
  }
  return new SshFailedError(`Cannot connect to ${endpoint.label}: ${detail}`, {
    data: { reason },
    cause: error,
  });
}
