/**
 * The test cluster's configuration files: sshd_config, slurm.conf, and the ssh config and
 * known_hosts a test writes into its temporary home.
 *
 * @module
 */
import { join } from "node:path";

/** The sshd_config of the test sshd: loopback only, keys under the temp dir, SLURM_CONF set. */
export function sshdConfig(o: { dir: string; port: number; slurmConf: string }): string {
  return [
    `Port ${o.port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(o.dir, "ssh", "host_ed25519")}`,
    `AuthorizedKeysFile ${join(o.dir, "ssh", "authorized_keys")}`,
    "PidFile none", // the default /run/sshd.pid is shared with every other sshd
    "StrictModes no", // the keys live under the temp dir, not in a home
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "Subsystem sftp internal-sftp",
    // Remote SLURM commands find the private slurm.conf through the session environment.
    // HOME points the remote login shell at an empty home in the temp dir, so the machine's own
    // root profile (pyenv, conda, ...) is not run: a test that kills sessions mid-profile must not
    // leave lock files behind that stall every later login.
    `SetEnv SLURM_CONF=${o.slurmConf} HOME=${join(o.dir, "remote-home")}`,
    "LogLevel VERBOSE",
    "",
  ].join("\n");
}

/** The slurm.conf of the single-node cluster, with every path under the temp dir. */
export function slurmConfig(o: {
  dir: string;
  munge: string;
  node: string;
  nodeName: string;
  ctldPort: number;
  slurmdPort: number;
  cluster: string;
}): string {
  const at = (...parts: string[]) => join(o.dir, ...parts);
  return [
    `ClusterName=${o.cluster}`,
    `SlurmctldHost=${o.nodeName}(127.0.0.1)`,
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${o.munge}`,
    // No cgroups here: track processes by parent pid and bind no tasks.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "MpiDefault=none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    `StateSaveLocation=${at("state")}`,
    `SlurmdSpoolDir=${at("spool")}`,
    `SlurmctldPidFile=${at("run", "slurmctld.pid")}`,
    `SlurmdPidFile=${at("run", "slurmd.pid")}`,
    `SlurmctldLogFile=${at("log", "slurmctld.log")}`,
    `SlurmdLogFile=${at("log", "slurmd.log")}`,
    // No accounting storage: `sacct -c` reads this file instead.
    "JobCompType=jobcomp/filetxt",
    `JobCompLoc=${at("log", "jobcomp.txt")}`,
    "MailProg=/bin/true",
    "ReturnToService=2",
    "KillWait=2", // scancel's SIGTERM→SIGKILL grace, 30 s by default
    `${o.node} NodeAddr=127.0.0.1 State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
}

/** Appends a `Host` alias to <home>/.ssh/config and, when given, a line to known_hosts. */
export async function writeSshFiles(
  home: string,
  o: { alias: string; port: number; keyFile: string; knownHostsLine: string | null },
): Promise<void> {
  const ssh = join(home, ".ssh");
  await Deno.mkdir(ssh, { recursive: true, mode: 0o700 });
  const config = [
    `Host ${o.alias}`,
    "  HostName 127.0.0.1",
    `  Port ${o.port}`,
    "  User root",
    `  IdentityFile ${o.keyFile}`,
    "  IdentitiesOnly yes",
    "",
  ].join("\n");
  await Deno.writeTextFile(join(ssh, "config"), config, { append: true, mode: 0o600 });
  if (o.knownHostsLine !== null) {
    const file = join(ssh, "known_hosts");
    await Deno.writeTextFile(file, `${o.knownHostsLine}\n`, { append: true, mode: 0o600 });
  }
}

/** A random SLURM cluster name, so concurrent test clusters never share state. */
export function clusterName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `cm${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
