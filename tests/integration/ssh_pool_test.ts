import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { createLogger, type Logger } from "../../server/log.ts";
import { AppError, SshFailedError } from "../../server/errors.ts";
import { wireError } from "../../server/rpc/errors.ts";
import { fingerprintSha256 } from "../../server/ssh/known_hosts.ts";
import { type PoolOptions, SshPool, type SshTarget } from "../../server/ssh/pool.ts";
import { clusterTest, type TestCluster } from "../_cluster.ts";

const HOSTILE = [
  "it's",
  "$(touch pwned)",
  "`touch pwned2`",
  "a;b && c || d | e > f",
  "line1\nline2",
  "-n",
  "--",
  "",
  " ",
  "*",
  "~",
  "${HOME}",
  `"\\'`,
  "héllo ✓ 日本語",
];

/** A logger that keeps its lines, to count connects and show negotiated algorithms. */
function recordingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    log: createLogger({ level: "debug", sink: { write: (l) => void lines.push(l), close() {} } }),
    lines,
  };
}

function connects(lines: string[]): number {
  return lines.filter((line) => line.includes(" ssh connected ")).length;
}

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "cmhome" });
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

function targetOf(cluster: TestCluster, overrides: Partial<SshTarget> = {}): SshTarget {
  return {
    id: "cluster:1:test",
    name: "test",
    hostname: cluster.host,
    port: cluster.port,
    username: cluster.user,
    keyFile: cluster.keyFile,
    useAgent: false,
    ...overrides,
  };
}

function poolOptions(home: string, log: Logger, extra: Partial<PoolOptions> = {}): PoolOptions {
  return { home, localUser: "root", agentSocket: null, log, globalKnownHostsFiles: [], ...extra };
}

/** Asserts an AppError with this code whose wire form has these data fields. */
function assertRpc(error: unknown, code: number, data: Record<string, unknown> = {}): AppError {
  assert.ok(error instanceof AppError, String(error));
  const wire = wireError(error);
  assert.equal(wire.code, code, error.message);
  for (const [key, value] of Object.entries(data)) {
    assert.deepEqual(wire.data[key], value, `data.${key}`);
  }
  return error;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

Deno.test("SshFailedError keeps kind ssh_failed on the wire and its finer reason in data.reason", () => {
  const error = new SshFailedError(
    'Cannot connect to "hpc1" (127.0.0.1:2222): host key changed: x',
    {
      data: {
        reason: "host_key_mismatch",
        expected_fingerprint: "SHA256:a",
        presented_fingerprint: "SHA256:b",
      },
    },
  );
  const wire = JSON.parse(JSON.stringify(wireError(error)));
  assert.equal(wire.code, -32002);
  assert.deepEqual(wire.data, {
    kind: "ssh_failed",
    reason: "host_key_mismatch",
    expected_fingerprint: "SHA256:a",
    presented_fingerprint: "SHA256:b",
  });
});

Deno.test("SshPool reports a refused connection as ssh_failed and a silent server as a timeout", async () => {
  await withHome(async (home) => {
    const { log } = recordingLogger();
    await using pool = new SshPool(poolOptions(home, log, { connectTimeoutMs: 500 }));
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    closed.close();
    const target: SshTarget = {
      id: "t",
      name: "nowhere",
      hostname: "127.0.0.1",
      port,
      username: "x",
      keyFile: null,
      useAgent: false,
    };
    const refused = await rejection(
      pool.exec({ ...target, keyFile: join(home, "missing") }, ["true"]),
    );
    assertRpc(refused, -32002, { kind: "ssh_failed", reason: "key_missing" });

    const keyDir = await Deno.makeTempDir();
    try {
      const key = join(keyDir, "k");
      await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ed25519", "-N", "", "-f", key] })
        .output();
      const error = assertRpc(
        await rejection(pool.exec({ ...target, keyFile: key }, ["true"])),
        -32002,
        { reason: "connect_failed" },
      );
      assert.equal(
        error.message,
        `Cannot connect to "nowhere" (127.0.0.1:${port}): connection refused`,
      );
      await assert.rejects(pool.probe({ ...target, keyFile: key }), SshFailedError);

      // A server that accepts TCP but never speaks SSH: the handshake times out.
      const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const held: Deno.Conn[] = [];
      const accepting = (async () => {
        for await (const conn of silent) held.push(conn);
      })();
      const silentTarget = { ...target, id: "silent", port: silent.addr.port, keyFile: key };
      const timedOut = await rejection(pool.exec(silentTarget, ["true"]));
      assertRpc(timedOut, -32002, { reason: "connect_timeout" });
      const callTimeout = await rejection(
        pool.exec({ ...silentTarget, id: "silent2" }, ["true"], { timeoutMs: 100 }),
      );
      assertRpc(callTimeout, -32008, { kind: "timeout" });
      silent.close();
      await accepting.catch(() => {});
      await pool[Symbol.asyncDispose]();
      for (const conn of held) conn.close();
    } finally {
      await Deno.remove(keyDir, { recursive: true });
    }
  });
});

clusterTest(
  "SshPool.exec() runs hostile argv, exit codes, signals, stdin and many channels",
  async (cluster) => {
    await withHome(async (home) => {
      await cluster.writeSshFiles(home, { trust: true });
      const { log, lines } = recordingLogger();
      await using pool = new SshPool(poolOptions(home, log));
      const target = targetOf(cluster);
      const workdir = join(cluster.remoteRoot, "hostile");
      assert.equal((await pool.exec(target, ["mkdir", "-p", "--", workdir])).code, 0);

      const printed = await pool.exec(target, [
        "sh",
        "-c",
        'cd "$1" && shift && printf "%s\\0" "$@" && ls',
        "sh",
        workdir,
        ...HOSTILE,
      ]);
      assert.equal(printed.code, 0, printed.stderr);
      const words = printed.stdout.split("\0");
      assert.equal(words.pop(), "", "nothing was created by the hostile values");
      assert.deepEqual(words, HOSTILE);

      assert.deepEqual(await pool.exec(target, ["sh", "-c", "echo out; echo err >&2; exit 3"]), {
        stdout: "out\n",
        stderr: "err\n",
        code: 3,
        signal: null,
      });
      const killed = await pool.exec(target, ["sh", "-c", "kill -TERM $$"]);
      assert.deepEqual([killed.code, killed.signal], [null, "SIGTERM"]);
      assert.equal(
        (await pool.exec(target, ["cat"], { stdin: "through stdin ✓\n" })).stdout,
        "through stdin ✓\n",
      );
      // No PTY: a terminal test fails and nothing is echoed.
      assert.equal(
        (await pool.exec(target, ["sh", "-c", "test -t 0 || test -t 1; echo $?"])).stdout,
        "1\n",
      );
      // The command runs in a bash login shell (shopt is a builtin, so bash -l itself answers).
      assert.equal((await pool.exec(target, ["shopt", "-q", "login_shell"])).code, 0);

      // More calls than sshd's MaxSessions (10) at once: the pool queues channels.
      const many = await Promise.all(
        Array.from({ length: 25 }, (_, i) => pool.exec(target, ["echo", String(i)])),
      );
      assert.deepEqual(many.map((r) => r.stdout), Array.from({ length: 25 }, (_, i) => `${i}\n`));
      assert.equal(connects(lines), 1, "one pooled connection served every call");
      assert.ok(pool.connectionInfo(target.id) !== null);
    });
  },
);

clusterTest(
  "SshPool refuses unknown and changed host keys and trusts one explicitly",
  async (cluster) => {
    await withHome(async (home) => {
      const { log } = recordingLogger();
      await using pool = new SshPool(poolOptions(home, log));
      const target = targetOf(cluster);
      const name = `[127.0.0.1]:${cluster.port}`;

      const unknown = assertRpc(await rejection(pool.exec(target, ["true"])), -32002, {
        reason: "host_key_unknown",
        fingerprint_sha256: cluster.hostKeyFingerprint,
      });
      assert.ok(
        unknown.message.startsWith(
          `Cannot connect to "test" (127.0.0.1:${cluster.port}): host key unknown: `,
        ),
      );
      const probed = await pool.probe(target);
      assert.deepEqual(probed.hostKey, {
        type: "ssh-ed25519",
        fingerprint_sha256: cluster.hostKeyFingerprint,
        known: false,
        status: "unknown",
      });
      assert.equal(probed.latencyMs, null);
      assert.ok(probed.error?.includes("host key unknown"));

      assertRpc(await rejection(pool.trustHostKey(target, "SHA256:not-this-one")), -32005, {
        kind: "conflict",
      });
      const trusted = await pool.trustHostKey(target, cluster.hostKeyFingerprint);
      assert.equal(trusted.file, join(home, ".ssh", "known_hosts"));
      assert.equal(trusted.line, `${name} ${cluster.hostKeyLine}`);
      assert.equal((await Deno.stat(join(home, ".ssh"))).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(trusted.file)).mode! & 0o777, 0o600);
      assert.equal((await pool.exec(target, ["echo", "trusted"])).stdout, "trusted\n");
      const known = await pool.probe(target);
      assert.equal(known.hostKey.known, true);
      assert.equal(typeof known.latencyMs, "number");
      await pool.trustHostKey(target, cluster.hostKeyFingerprint);
      assert.equal(
        (await Deno.readTextFile(trusted.file)).trim().split("\n").length,
        1,
        "trusting twice adds one line",
      );
      // OpenSSH itself finds the line we wrote.
      const found = await new Deno.Command("ssh-keygen", {
        args: ["-F", name, "-f", trusted.file],
        stdout: "piped",
      }).output();
      assert.ok(new TextDecoder().decode(found.stdout).includes(cluster.hostKeyLine));

      // Another key on file for the same name and type: the server's key has "changed".
      const other = join(home, "other");
      await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ed25519", "-N", "", "-f", other] })
        .output();
      const otherPub = (await Deno.readTextFile(`${other}.pub`)).split(" ");
      const otherFingerprint = fingerprintSha256(
        new Uint8Array(Buffer.from(otherPub[1] ?? "", "base64")),
      );
      await Deno.writeTextFile(trusted.file, `${name} ${otherPub[0]} ${otherPub[1]}\n`);
      pool.forget(target.id);
      const changed = assertRpc(await rejection(pool.exec(target, ["true"])), -32002, {
        reason: "host_key_mismatch",
        expected_fingerprint: otherFingerprint,
        presented_fingerprint: cluster.hostKeyFingerprint,
      });
      assert.ok(
        changed.message.startsWith(
          `Cannot connect to "test" (127.0.0.1:${cluster.port}): host key changed: `,
        ),
        changed.message,
      );
      assert.equal(wireError(changed).data.kind, "ssh_failed");
      const mismatch = await pool.probe(target);
      assert.deepEqual(mismatch.hostKey.expected, [otherFingerprint]);
      assert.equal(mismatch.hostKey.status, "mismatch");
      assertRpc(await rejection(pool.trustHostKey(target, cluster.hostKeyFingerprint)), -32002, {
        reason: "host_key_mismatch",
      });
    });
  },
);

clusterTest(
  "SshPool resolves ~/.ssh/config aliases, including a ProxyJump hop",
  async (cluster) => {
    await withHome(async (home) => {
      await cluster.writeSshFiles(home, { trust: true, alias: "hpcalias" });
      await Deno.writeTextFile(
        join(home, ".ssh", "config"),
        `Host viajump\n  HostName 127.0.0.1\n  Port ${cluster.port}\n  User root\n  IdentityFile ${cluster.keyFile}\n  ProxyJump hpcalias\n`,
        { append: true },
      );
      const { log, lines } = recordingLogger();
      await using pool = new SshPool(poolOptions(home, log));
      const alias: SshTarget = {
        id: "alias",
        name: "aliased",
        hostname: "hpcalias",
        port: null,
        username: null,
        keyFile: null,
        useAgent: false,
      };
      assert.equal((await pool.exec(alias, ["whoami"])).stdout, "root\n");
      const jumped = await pool.exec({ ...alias, id: "jump", hostname: "viajump" }, [
        "sh",
        "-c",
        "echo $SSH_CONNECTION",
      ]);
      assert.equal(jumped.code, 0, jumped.stderr);
      // Through the jump host the connection arrives from sshd itself, on the loopback.
      assert.match(jumped.stdout, /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
      assert.equal(connects(lines), 2);

      // OpenSSH agrees that an alias is looked up in known_hosts by its HostName and port.
      const ssh = await new Deno.Command("ssh", {
        args: [
          "-F",
          join(home, ".ssh", "config"),
          "-o",
          `UserKnownHostsFile=${join(home, ".ssh", "known_hosts")}`,
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          "BatchMode=yes",
          "hpcalias",
          "true",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(ssh.code, 0, new TextDecoder().decode(ssh.stderr));
    });
  },
);

clusterTest(
  "SshPool uploads and downloads 10 MB with progress, writes and lists files",
  async (cluster) => {
    await withHome(async (home) => {
      await cluster.writeSshFiles(home, { trust: true });
      const { log } = recordingLogger();
      await using pool = new SshPool(poolOptions(home, log));
      const target = targetOf(cluster);
      const remoteDir = join(cluster.remoteRoot, "transfer dir");
      await pool.exec(target, ["mkdir", "-p", "--", remoteDir]);
      const data = new Uint8Array(10 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 65536) {
        crypto.getRandomValues(data.subarray(i, i + 65536));
      }
      const local = join(home, "big.bin");
      await Deno.writeFile(local, data);
      const remote = join(remoteDir, "big.bin");

      const progress: [number, number][] = [];
      let started = performance.now();
      await pool.upload(target, local, remote, {
        onProgress: (done, total) => progress.push([done, total]),
      });
      const uploadMs = performance.now() - started;
      assert.ok(progress.length > 5, `progress reported ${progress.length} times`);
      assert.deepEqual(progress.at(-1), [data.length, data.length]);
      const sum = await pool.exec(target, ["sha256sum", "--", remote]);
      assert.equal(sum.stdout.split(" ")[0], createHash("sha256").update(data).digest("hex"));

      await pool.writeFile(target, join(remoteDir, "note.txt"), "hello ✓\n");
      await pool.writeFile(target, join(remoteDir, "note.txt"), "replaced ✓\n");
      assert.equal(
        (await pool.exec(target, ["cat", "--", join(remoteDir, "note.txt")])).stdout,
        "replaced ✓\n",
      );
      assert.deepEqual(await pool.readdir(target, remoteDir), [
        { name: "big.bin", size: data.length, isFile: true },
        { name: "note.txt", size: new TextEncoder().encode("replaced ✓\n").length, isFile: true },
      ]);

      const back = join(home, "back.bin");
      const downloaded: [number, number][] = [];
      started = performance.now();
      await pool.download(target, remote, back, {
        onProgress: (done, total) => downloaded.push([done, total]),
      });
      const downloadMs = performance.now() - started;
      assert.deepEqual(await Deno.readFile(back), data);
      assert.deepEqual(downloaded.at(-1), [data.length, data.length]);
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(home))).map((e) => e.name).filter((n) =>
          n.includes(".part-")
        ),
        [],
      );
      log.info("10 MB over loopback", { uploadMs, downloadMs });

      assertRpc(
        await rejection(pool.download(target, join(remoteDir, "missing"), join(home, "m"))),
        -32004,
        { kind: "not_found" },
      );
      assertRpc(await rejection(pool.readdir(target, join(remoteDir, "missing"))), -32004);
      assertRpc(await rejection(pool.upload(target, join(home, "missing"), remote)), -32004);
    });
  },
);

clusterTest(
  "SshPool times out, cancels, reconnects after sshd restarts and fails in-flight calls on a drop",
  async (cluster) => {
    await withHome(async (home) => {
      await cluster.writeSshFiles(home, { trust: true });
      const { log, lines } = recordingLogger();
      await using pool = new SshPool(poolOptions(home, log, { idleMs: 400 }));
      const target = targetOf(cluster);

      let started = performance.now();
      assertRpc(await rejection(pool.exec(target, ["sleep", "30"], { timeoutMs: 500 })), -32008, {
        kind: "timeout",
      });
      assert.ok(performance.now() - started < 5000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      started = performance.now();
      const cancelled = assertRpc(
        await rejection(pool.exec(target, ["sleep", "30"], { signal: controller.signal })),
        -32009,
      );
      assert.equal(cancelled.message, 'Cannot run "sleep" on "test": the request was cancelled');
      assert.ok(performance.now() - started < 5000);
      assert.equal((await pool.exec(target, ["true"])).code, 0, "the connection survives both");
      assert.equal(connects(lines), 1);

      // Idle close, then a lazy reconnect.
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal(pool.isConnected(target.id), false);
      assert.equal((await pool.exec(target, ["true"])).code, 0);
      assert.equal(connects(lines), 2);

      await cluster.restartSshd();
      assert.equal((await pool.exec(target, ["echo", "again"])).stdout, "again\n");
      assert.equal(connects(lines), 3);

      // Catch at once: the rejection may come while the test still awaits something else.
      const inFlight = rejection(pool.exec(target, ["sleep", "30"]));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cluster.stopSshd();
      const lost = assertRpc(await inFlight, -32002, { reason: "connection_lost" });
      assert.ok(
        lost.message.startsWith(
          `Cannot run "sleep" on "test" (127.0.0.1:${cluster.port}): connection lost`,
        ),
        lost.message,
      );
      const down = assertRpc(await rejection(pool.exec(target, ["true"])), -32002, {
        reason: "connect_failed",
      });
      assert.ok(down.message.endsWith("connection refused"), down.message);
      assert.equal(pool.isConnected(target.id), false);
      await cluster.startSshd();
      assert.equal((await pool.exec(target, ["echo", "back"])).stdout, "back\n");
    });
  },
);

clusterTest(
  "SshPool explains an ECDSA key ssh2 cannot read and uses it through ssh-agent",
  async (cluster) => {
    await withHome(async (home) => {
      await cluster.writeSshFiles(home, { trust: true });
      const { log } = recordingLogger();
      // Find an OpenSSH-format P-256 key whose scalar has its high bit set (about one in two).
      const key = join(home, "ecdsa");
      let isBad = false;
      for (let i = 0; i < 40 && !isBad; i++) {
        await Deno.remove(key).catch(() => {});
        await Deno.remove(`${key}.pub`).catch(() => {});
        await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ecdsa", "-N", "", "-f", key] })
          .output();
        await using probe = new SshPool(poolOptions(home, log));
        const error = await rejection(probe.exec(targetOf(cluster, { keyFile: key }), ["true"]))
          .catch((e) => e);
        isBad = error instanceof AppError && error.message.includes("invalid SEC1 private key");
      }
      assert.ok(isBad, "no ECDSA key with the high bit set in 40 tries");
      await Deno.writeTextFile(
        join(dirname(cluster.keyFile), "authorized_keys"),
        await Deno.readTextFile(`${key}.pub`),
        { append: true },
      );

      const socket = join(home, "agent.sock");
      const agent = new Deno.Command("ssh-agent", {
        args: ["-D", "-a", socket],
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        for (let i = 0; i < 100 && !(await Deno.stat(socket).then(() => true, () => false)); i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const added = await new Deno.Command("ssh-add", {
          args: [key],
          env: { SSH_AUTH_SOCK: socket },
          stderr: "null",
        }).output();
        assert.equal(added.code, 0);
        await using pool = new SshPool(poolOptions(home, log, { agentSocket: socket }));
        const viaAgent = targetOf(cluster, { id: "agent", keyFile: null, useAgent: true });
        assert.equal((await pool.exec(viaAgent, ["echo", "agent"])).stdout, "agent\n");

        await new Deno.Command("ssh-keygen", {
          args: ["-q", "-p", "-m", "PEM", "-P", "", "-N", "", "-f", key],
        }).output();
        assert.equal(
          (await pool.exec(targetOf(cluster, { id: "pem", keyFile: key }), ["echo", "pem"])).stdout,
          "pem\n",
        );
      } finally {
        agent.kill("SIGTERM");
        await agent.status;
      }
    });
  },
);

/** A TCP proxy to a local port whose traffic can be dropped, to play a silent network. */
function silentableProxy(targetPort: number): {
  port: number;
  setSilent(isSilent: boolean): void;
  close(): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pumps: Promise<void>[] = [];
  let isSilent = false;
  async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(65536);
    try {
      for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
        // While silent, bytes vanish in both directions, as on a dead link.
        if (!isSilent) await to.write(buffer.subarray(0, n));
      }
    } catch {
      // A side closed: the pump ends.
    }
    try {
      to.close();
      conns.delete(to);
    } catch {
      // Already closed by the other pump.
    }
  }
  const accepting = (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      conns.add(inbound).add(outbound);
      pumps.push(pump(inbound, outbound), pump(outbound, inbound));
    }
  })().catch(() => {
    // The listener was closed.
  });
  return {
    port: listener.addr.port,
    setSilent: (value) => void (isSilent = value),
    async close() {
      listener.close();
      for (const conn of conns) conn.close();
      await accepting;
      await Promise.all(pumps);
    },
  };
}

clusterTest(
  "SshPool notices a silent network through keepalives and reconnects when it recovers",
  async (cluster) => {
    await withHome(async (home) => {
      const proxy = silentableProxy(cluster.port);
      try {
        await Deno.mkdir(join(home, ".ssh"), { mode: 0o700 });
        await Deno.writeTextFile(
          join(home, ".ssh", "known_hosts"),
          `[127.0.0.1]:${proxy.port} ${cluster.hostKeyLine}\n`,
        );
        const { log, lines } = recordingLogger();
        await using pool = new SshPool(poolOptions(home, log, { keepaliveMs: 200 }));
        const target = targetOf(cluster, { port: proxy.port });
        assert.equal((await pool.exec(target, ["echo", "up"])).stdout, "up\n");

        // Catch at once: the rejection may come while the test still awaits something else.
        const inFlight = rejection(pool.exec(target, ["sleep", "30"]));
        await new Promise((resolve) => setTimeout(resolve, 200));
        proxy.setSilent(true);
        const started = performance.now();
        const lost = assertRpc(await inFlight, -32002, { reason: "connection_lost" });
        assert.match(lost.message, /connection lost: Keepalive timeout$/);
        assert.ok(performance.now() - started < 5000, "three missed keepalives of 200 ms end it");
        assert.equal(pool.isConnected(target.id), false);

        proxy.setSilent(false);
        assert.equal((await pool.exec(target, ["echo", "recovered"])).stdout, "recovered\n");
        assert.equal(connects(lines), 2);
      } finally {
        await proxy.close();
      }
    });
  },
);
