import assert from "node:assert/strict";
import { join } from "node:path";
import { bandToken } from "../../../server/crystal/band_window.ts";
import { renderSbatchScript, type SbatchSpec } from "../../../server/slurm/script.ts";

const FIXTURES = new URL("../../fixtures/slurm/", import.meta.url);
const FAKE_CRYSTAL = new URL("../../fixtures/fake_crystal/", import.meta.url);
const UUID = "0b7e1c1e-5f0a-4d38-9a0e-3f1a2b4c5d6e";

const SERIAL: SbatchSpec = {
  job_name: `crystalmath-${UUID}`,
  comment: `crystalmath-${UUID}`,
  work_dir: `/scratch/alice/crystalmath/jobs/${UUID}`,
  output_name: "mgo-scf",
  setup_commands: ["module load CRYSTAL/23"],
  crystal: { executable: "crystal", parallel_executable: "Pcrystal", mpirun: "mpirun -np {ranks}" },
  parallel: false,
};

const GOLDEN: { file: string; spec: SbatchSpec }[] = [
  { file: "serial.sbatch", spec: SERIAL },
  {
    file: "parallel_with_properties.sbatch",
    spec: {
      ...SERIAL,
      output_name: "mgo-bands",
      partition: "compute",
      account: "chem-proj",
      nodes: 2,
      ntasks: 64,
      cpus_per_task: 1,
      time: "1-00:00:00",
      mem: "4G",
      setup_commands: [
        "module purge",
        "module load intel-mpi/2021 CRYSTAL/23",
        'export I_MPI_PMI_LIBRARY="$HOME/lib/libpmi2.so"',
      ],
      properties: { executable: "properties", parallel_executable: "Pproperties" },
      parallel: true,
    },
  },
  {
    file: "dependency.sbatch",
    spec: {
      ...SERIAL,
      partition: "debug",
      time: "02:00:00",
      dependency_after_ok: ["4711", "4712"],
      restart_dir: "/scratch/alice/crystalmath/jobs/opt-uuid",
      crystal: { ...SERIAL.crystal, mpirun: "srun" },
      parallel: true,
    },
  },
];

for (const { file, spec } of GOLDEN) {
  Deno.test(`renderSbatchScript() matches the golden ${file} (UPDATE_GOLDEN=1 rewrites it)`, async () => {
    const url = new URL(file, FIXTURES);
    const rendered = renderSbatchScript(spec);
    if (Deno.env.get("UPDATE_GOLDEN") === "1") await Deno.writeTextFile(url, rendered);
    assert.equal(
      rendered,
      await Deno.readTextFile(url),
      `${file} changed: review it, then run UPDATE_GOLDEN=1 deno task test`,
    );
  });
}

const HOSTILE = ["a'b", "$(reboot)", "`id`", "a\nb", "a;b", "-x", "a b", 'a"b', ""];

/** Fields that reach #SBATCH lines (or file names) and must be refused when unsafe. */
const REJECTED: { field: string; values: readonly string[]; spec: (v: string) => SbatchSpec }[] = [
  { field: "job_name", values: HOSTILE, spec: (v) => ({ ...SERIAL, job_name: v }) },
  { field: "comment", values: HOSTILE, spec: (v) => ({ ...SERIAL, comment: v }) },
  {
    field: "output_name",
    values: [...HOSTILE, "../x"],
    spec: (v) => ({ ...SERIAL, output_name: v }),
  },
  {
    field: "work_dir",
    values: [
      ...["a'b", "$(reboot)", "`id`", "a\nb", "a;b", "a b", 'a"b'].map((v) => `/scratch/${v}`),
      "relative/dir",
      "~/jobs",
      "-x",
      "",
    ],
    spec: (v) => ({ ...SERIAL, work_dir: v }),
  },
  { field: "partition", values: HOSTILE, spec: (v) => ({ ...SERIAL, partition: v }) },
  { field: "account", values: HOSTILE, spec: (v) => ({ ...SERIAL, account: v }) },
  { field: "time", values: [...HOSTILE, "1:00 ; rm"], spec: (v) => ({ ...SERIAL, time: v }) },
  { field: "mem", values: [...HOSTILE, "4 G"], spec: (v) => ({ ...SERIAL, mem: v }) },
  {
    field: "dependency_after_ok[1]",
    values: [...HOSTILE, "12:13"],
    spec: (v) => ({ ...SERIAL, dependency_after_ok: ["12", v] }),
  },
  {
    field: "restart_dir",
    values: ["/scratch/a b", "/scratch/$(reboot)", "relative", "/x;y", "/x\ny"],
    spec: (v) => ({ ...SERIAL, restart_dir: v }),
  },
  {
    field: "setup_commands[1]",
    values: ["module load a\nrm -rf /", "a\rb", "a\0b"],
    spec: (v) => ({ ...SERIAL, setup_commands: ["module purge", v] }),
  },
  {
    field: "crystal.executable",
    values: ["crystal\n", "", "  "],
    spec: (v) => ({ ...SERIAL, crystal: { ...SERIAL.crystal, executable: v } }),
  },
  {
    field: "crystal.mpirun",
    values: ["", " ", "mpirun\n-np 4"],
    spec: (v) => ({ ...SERIAL, parallel: true, crystal: { ...SERIAL.crystal, mpirun: v } }),
  },
];

for (const { field, values, spec } of REJECTED) {
  Deno.test(`renderSbatchScript() rejects unsafe ${field} values with an error naming the field`, () => {
    for (const value of values) {
      assert.throws(
        () => renderSbatchScript(spec(value)),
        (error: unknown) =>
          error instanceof RangeError && error.message.includes(` ${field} `) &&
          error.message.startsWith("Cannot render sbatch script: "),
        `${field} = ${JSON.stringify(value)} was not rejected`,
      );
    }
  });
}

Deno.test("renderSbatchScript() rejects counts that are not positive integers", () => {
  const cases: [keyof Pick<SbatchSpec, "nodes" | "ntasks" | "cpus_per_task">, number][] = [
    ["nodes", 0],
    ["ntasks", -4],
    ["cpus_per_task", 1.5],
    ["nodes", Number.NaN],
  ];
  for (const [field, value] of cases) {
    assert.throws(() => renderSbatchScript({ ...SERIAL, [field]: value }), {
      name: "RangeError",
      message: new RegExp(` ${field} must be a positive integer`),
    });
  }
});

/** Values that reach the script body: quoted, never interpreted. */
const QUOTED: { name: string; spec: SbatchSpec; line: string }[] = [
  {
    name: "an executable path with spaces, quotes and a command substitution",
    spec: {
      ...SERIAL,
      crystal: { ...SERIAL.crystal, executable: "/opt/my crystal/it's $(reboot)" },
    },
    line: `'/opt/my crystal/it'\\''s $(reboot)' < INPUT > mgo-scf.out 2> mgo-scf.err`,
  },
  {
    name: "a parallel executable with backticks and a semicolon",
    spec: {
      ...SERIAL,
      parallel: true,
      crystal: { ...SERIAL.crystal, parallel_executable: "Pcrystal;`id`", mpirun: "srun" },
    },
    line: `srun 'Pcrystal;\`id\`' > mgo-scf.out 2> mgo-scf.err`,
  },
  {
    name: "a launcher with {ranks} inside a word and a leading-dash option",
    spec: {
      ...SERIAL,
      parallel: true,
      crystal: { ...SERIAL.crystal, mpirun: "mpiexec --np={ranks} -x $HOME" },
    },
    line: `mpiexec --np="\${SLURM_NTASKS:-1}" -x '$HOME' Pcrystal > mgo-scf.out 2> mgo-scf.err`,
  },
];

for (const { name, spec, line } of QUOTED) {
  Deno.test(`renderSbatchScript() quotes ${name}`, () => {
    const lines = renderSbatchScript(spec).split("\n");
    assert.ok(lines.includes(line), `expected the line:\n${line}\nin:\n${lines.join("\n")}`);
  });
}

async function bash(args: string[], cwd?: string): Promise<Deno.CommandOutput> {
  return await new Deno.Command("bash", {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("renderSbatchScript() output passes bash -n for every golden and hostile spec", async () => {
  for (const spec of [...GOLDEN.map((g) => g.spec), ...QUOTED.map((q) => q.spec)]) {
    const result = await bash(["-n", "-c", renderSbatchScript(spec)]);
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  }
});

/** Runs a rendered script in a fresh job dir holding `deck` (and a .d3 deck), as sbatch would. */
async function runScript(
  spec: (dir: string) => SbatchSpec,
  deck: string,
  d3 = "BAND\nEND\n",
): Promise<{ dir: string; code: number; files: Set<string> }> {
  const dir = await Deno.makeTempDir({ prefix: "crystalmath-sbatch-" });
  await Deno.writeTextFile(join(dir, "INPUT"), deck);
  await Deno.writeTextFile(join(dir, "INPUT.d3"), d3);
  const script = join(dir, "job.sbatch");
  await Deno.writeTextFile(script, renderSbatchScript(spec(dir)));
  const result = await bash([script], "/");
  const files = new Set([...Deno.readDirSync(dir)].map((entry) => entry.name));
  return { dir, code: result.code, files };
}

const withFake = (dir: string, executable: string): SbatchSpec => ({
  ...SERIAL,
  work_dir: dir,
  setup_commands: [],
  crystal: { ...SERIAL.crystal, executable },
  properties: {
    executable: new URL("properties", FAKE_CRYSTAL).pathname,
    parallel_executable: "Pproperties",
  },
});

Deno.test("renderSbatchScript() serial script runs CRYSTAL, then properties, and records both exit codes", async () => {
  const crystal = new URL("crystal", FAKE_CRYSTAL).pathname;
  const { dir, code, files } = await runScript((d) => withFake(d, crystal), "MGO TEST\nEND\n");
  try {
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code")), "0\n");
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code_properties")), "0\n");
    assert.equal(await Deno.readTextFile(join(dir, "INPUT.d12")), "MGO TEST\nEND\n");
    assert.equal(await Deno.readTextFile(join(dir, "INPUT")), "BAND\nEND\n");
    for (const name of ["mgo-scf.out", "mgo-scf.err", "mgo-scf.properties.out"]) {
      assert.ok(files.has(name), name);
    }
    assert.ok(!files.has(".exit_code.tmp"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderSbatchScript() properties-only script runs properties alone, recording .exit_code", async () => {
  // The "crystal" executable is one that fails: it must not run.
  const { dir, code, files } = await runScript(
    (d) => ({ ...withFake(d, "/bin/false"), properties_only: true }),
    "MGO TEST\nEND\n",
  );
  try {
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code")), "0\n");
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code_properties")), "0\n");
    assert.equal(await Deno.readTextFile(join(dir, "INPUT")), "BAND\nEND\n");
    assert.ok(files.has("mgo-scf.properties.out"));
    assert.ok(!files.has("mgo-scf.out"), "no CRYSTAL run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderSbatchScript() script exits with a failed CRYSTAL's code and skips properties", async () => {
  const crystal = new URL("crystal", FAKE_CRYSTAL).pathname;
  const { dir, code, files } = await runScript((d) => withFake(d, crystal), "MGO [error]\nEND\n");
  try {
    assert.equal(code, 1);
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code")), "1\n");
    assert.ok(!files.has(".exit_code_properties"));
    assert.ok(!files.has("INPUT.d12"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderSbatchScript() script runs an executable with a hostile name without interpreting it", async () => {
  const bin = await Deno.makeTempDir({ prefix: "crystalmath-bin-" });
  const hostile = join(bin, "my crystal's $(touch pwned) `touch pwned2`;x");
  await Deno.symlink(new URL("crystal", FAKE_CRYSTAL).pathname, hostile);
  const { dir, code, files } = await runScript((d) => withFake(d, hostile), "MGO TEST\nEND\n");
  try {
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(join(dir, ".exit_code")), "0\n");
    assert.ok(!files.has("pwned") && !files.has("pwned2"));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("renderSbatchScript() copies the restart files of restart_dir when the run starts, not before", async () => {
  const crystal = new URL("crystal", FAKE_CRYSTAL).pathname;
  const source = await Deno.makeTempDir({ prefix: "crystalmath-opt-" });
  // Rendered while the source has not run: its files appear later, before the run (afterok).
  const { dir, code, files } = await runScript((d) => {
    const spec = { ...withFake(d, crystal), restart_dir: source, properties: null };
    Deno.writeTextFileSync(join(source, "fort.34"), "3 5 6\n");
    Deno.writeTextFileSync(join(source, "fort.9"), "wave function\n");
    return spec;
  }, "MGO TEST\nEND\n");
  try {
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(join(dir, "fort.34")), "3 5 6\n");
    assert.equal(
      await Deno.readTextFile(join(dir, "fort.20")),
      "wave function\n",
      "fort.9 seeds fort.20",
    );
    assert.ok(files.has("fort.9"));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(source, { recursive: true });
  }
});

Deno.test("renderSbatchScript() leaves a fort.34 the job brought itself in place of the source's", async () => {
  const crystal = new URL("crystal", FAKE_CRYSTAL).pathname;
  const source = await Deno.makeTempDir({ prefix: "crystalmath-opt-" });
  const { dir, code } = await runScript((d) => {
    Deno.writeTextFileSync(join(source, "fort.34"), "the source's\n");
    Deno.writeTextFileSync(join(source, "fort.9"), "wave function\n");
    Deno.writeTextFileSync(join(d, "fort.34"), "the job's own\n");
    return { ...withFake(d, crystal), restart_dir: source, properties: null };
  }, "MGO TEST\nEND\n");
  try {
    assert.equal(code, 0);
    assert.equal(await Deno.readTextFile(join(dir, "fort.34")), "the job's own\n");
    assert.equal(await Deno.readTextFile(join(dir, "fort.20")), "wave function\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(source, { recursive: true });
  }
});

Deno.test("renderSbatchScript() fills band tokens from the SCF output on the host, or stops with why", async () => {
  const source = await Deno.makeTempDir({ prefix: "crystalmath-scf-" });
  const d3 = `BAND\nmgo\n1 0 10 ${bandToken(-49)} ${bandToken(50)} 1 0\nG X\nEND\n`;
  const spec = (d: string) => ({
    ...withFake(d, "/bin/false"),
    properties_only: true,
    restart_dir: source,
    band_tokens_from: join(source, "scf.out"),
  });
  try {
    await Deno.writeTextFile(
      join(source, "scf.out"),
      " NUMBER OF AO                26  EXCHANGE\n N. OF ELECTRONS PER CELL    20  EXCHANGE\n",
    );
    const filled = await runScript(spec, "MGO TEST\nEND\n", d3);
    assert.equal(filled.code, 0);
    assert.equal(
      await Deno.readTextFile(join(filled.dir, "INPUT")),
      "BAND\nmgo\n1 0 10 1 26 1 0\nG X\nEND\n",
    );
    await Deno.remove(filled.dir, { recursive: true });
    await Deno.writeTextFile(join(source, "scf.out"), "");
    const refused = await runScript(spec, "MGO TEST\nEND\n", d3);
    assert.equal(refused.code, 2);
    assert.equal(await Deno.readTextFile(join(refused.dir, ".exit_code")), "2\n");
    assert.equal(await Deno.readTextFile(join(refused.dir, ".exit_code_properties")), "2\n");
    assert.match(
      await Deno.readTextFile(join(refused.dir, "mgo-scf.properties.err")),
      /cannot choose the bands: .*scf.out prints no NUMBER OF AO/,
    );
    assert.ok(!refused.files.has("mgo-scf.properties.out"), "properties did not run");
    await Deno.remove(refused.dir, { recursive: true });
  } finally {
    await Deno.remove(source, { recursive: true });
  }
});
