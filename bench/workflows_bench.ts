/**
 * Workflows: the EOS fits over 1 000 points, and a 50-member workflow's overhead in the daemon
 * against its jobs' own run time (a SHRINK scan of 50 values with the stand-in CRYSTAL's [model]).
 *
 * @module
 */
import { SocketClient } from "../client/socket_client.ts";
import { birchMurnaghanEnergy, fitBirchMurnaghan, fitVinet } from "../server/workflows/eos_fit.ts";
import { type Sandbox, startDaemon } from "../tests/_harness.ts";
import { FAKE_CRYSTAL_ENV } from "../tests/_jobs.ts";

// deno-lint-ignore no-console
const say = console.log;
const RUNS = Deno.env.get("BENCH_QUICK") === "1" ? 10 : 50;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function benchFits(): void {
  const truth = { v0: 18.75, e0: -275.4485911, b0_gpa: 160, b0_prime: 4.1 };
  const volumes = Array.from({ length: 1000 }, (_, i) => 18.75 * (0.94 + 0.12 * i / 999));
  // A little noise (±1 µHa, deterministic) so the Vinet solve has work to do.
  const energies = volumes.map((v, i) => birchMurnaghanEnergy(truth, v) + 1e-6 * Math.sin(i));
  const bm: number[] = [];
  const vinet: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const start = fitBirchMurnaghan(volumes, energies);
    bm.push(performance.now() - t);
    t = performance.now();
    fitVinet(volumes, energies, start);
    vinet.push(performance.now() - t);
  }
  say(
    `EOS fit over 1000 points: Birch-Murnaghan ${median(bm).toFixed(2)} ms, ` +
      `Vinet ${median(vinet).toFixed(2)} ms (medians of ${RUNS})`,
  );
}

interface Member {
  started_at: string | null;
  finished_at: string | null;
}

async function benchMembers(box: Sandbox): Promise<void> {
  await using _daemon = await startDaemon(box, [], {
    env: { ...FAKE_CRYSTAL_ENV, CRYSTALMATH_LOCAL_MAX_CONCURRENT: "2" },
  });
  await using client = new SocketClient(box.socket);
  const deck = "MgO\nCRYSTAL\n0 0 0\n225\n4.21\n2\n12 0. 0. 0.\n8 0.5 0.5 0.5\nEND\n" +
    "BASISSET\nPOB-TZVP\nSHRINK\n8 8\nEND\n";
  const t0 = performance.now();
  const created = await client.request("workflows.create_convergence", {
    name: "bench [model]",
    base_input: deck,
    parameter: "shrink",
    values: Array.from({ length: 50 }, (_, i) => i + 1),
  }) as { workflow_id: string; jobs: number[] };
  const createMs = performance.now() - t0;
  let workflow: { state: string; finished_at: string | null };
  for (;;) {
    workflow = await client.request("workflows.get", {
      id: created.workflow_id,
    }) as typeof workflow;
    if (workflow.state !== "created" && workflow.state !== "running") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const jobs = await Promise.all(
    created.jobs.map((pk) => client.request("jobs.get", { pk }) as Promise<Member>),
  );
  const own = jobs.reduce(
    (sum, j) => sum + (Date.parse(j.finished_at!) - Date.parse(j.started_at!)),
    0,
  );
  const lastEnd = Math.max(...jobs.map((j) => Date.parse(j.finished_at!)));
  const analysisMs = Date.parse(workflow.finished_at!) - lastEnd;
  say(
    `50-member workflow (${workflow.state}): create ${createMs.toFixed(0)} ms (50 jobs recorded ` +
      `and queued), analysis ${analysisMs} ms after the last member ended; the members ran ` +
      `${(own / 1000).toFixed(1)} s in all (${(own / 50).toFixed(0)} ms each, 2 at a time)`,
  );
}

/** Runs the workflows section. */
export async function benchWorkflows(box: Sandbox): Promise<void> {
  benchFits();
  await benchMembers(box);
}
