/**
 * The SSH transport: a cluster's files and commands over the pooled connection, each call with a
 * timeout and the runner's closing signal.
 *
 * @module
 */
import { type Cluster, sshTargetOf } from "../../clusters/cluster.ts";
import type { Logger } from "../../log.ts";
import type { SshPool } from "../../ssh/pool.ts";
import type { Transport } from "./scheduler.ts";

/** Commands and small files: one minute. */
const CALL_MS = 60_000;
/** Transfers of inputs and results: ten minutes. */
const TRANSFER_MS = 10 * 60_000;
/** Transfers larger than this report their progress in the log. */
const PROGRESS_BYTES = 4 * 1024 * 1024;

/** The transport to `cluster` over `ssh`, cancelled by `signal`. */
export function sshTransport(
  ssh: SshPool,
  options: { cluster: Cluster; signal: AbortSignal; log: Logger },
): Transport {
  const { cluster, signal, log } = options;
  const target = sshTargetOf(cluster);
  const call = (timeoutMs = CALL_MS) => ({ timeoutMs, signal });
  return {
    name: cluster.name,
    exec: (argv, opts) => ssh.exec(target, argv, call(opts?.timeoutMs)),
    upload: (local, remote) => ssh.upload(target, local, remote, call(TRANSFER_MS)),
    download: (local, remote, size) =>
      ssh.download(target, remote, local, {
        ...call(TRANSFER_MS),
        ...(size > PROGRESS_BYTES ? { onProgress: progressLogger(log, remote) } : {}),
      }),
    writeFile: (remote, text) => ssh.writeFile(target, remote, text, call()),
    readdir: (remote) => ssh.readdir(target, remote, call()),
    async readText(remote) {
      const result = await ssh.exec(target, ["cat", remote], call());
      return result.code === 0 ? result.stdout : null;
    },
  };
}

/** Logs a transfer's progress at each further tenth. */
function progressLogger(log: Logger, file: string): (done: number, total: number) => void {
  let reported = 0;
  return (done, total) => {
    const tenth = Math.floor((done / Math.max(total, 1)) * 10);
    if (tenth <= reported) return;
    reported = tenth;
    log.info("Fetching", { file, percent: tenth * 10, bytes: done, total });
  };
}
