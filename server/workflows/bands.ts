/**
 * The band-structure study: an SCF (or the completed job given, when its fort.9 is there), then
 * properties alone on that wave function with NEWK, BAND along the lattice's k-path and DOSS;
 * then the gap along the path from fort.25 and the occupied band count the output prints.
 *
 * @module
 */
import { z } from "zod";
import { bandAt, bandCountOf, bandToken, BandWindowError } from "../crystal/band_window.ts";
import { type Deck, findKeyword, parseDeck, writeDeck } from "../crystal/deck.ts";
import { electronicLevels } from "../crystal/electronic_levels.ts";
import { Fort25Error, parseFort25 } from "../crystal/fort25.ts";
import { HARTREE_TO_EV } from "../crystal/output_parser.ts";
import { InvalidParamsError, InvalidStateError } from "../errors.ts";
import {
  type BandStructure,
  BandStructureError,
  bandStructureOf,
  gapOf,
  pathLabels,
  type Segment,
  totalDosOf,
} from "./band_structure.ts";
import { bandsDeck, kPathFor } from "./bands_deck.ts";
import { asSinglePoint } from "./deck_edits.ts";
import {
  defineWorkflowType,
  type MemberOutcome,
  memberStatus,
  WorkflowFailure,
} from "./workflow_type.ts";

const SCF_OUTPUT = "{output}.out";
const PROPERTIES_OUTPUT = "{output}.properties.out";
/** Bands written either side of band ⌈N/2⌉ when `bands` is not given. */
const BAND_WINDOW = { below: 49, above: 50 };
/** Bands either side of it in the DOS. */
const DOS_WINDOW = { below: 9, above: 10 };
const DOS_POINTS = 1000;
const DOS_POLYNOMIALS = 14;

const EDGE = z.strictObject({
  energy_ev: z.number().describe("Its energy, eV (absolute, as CRYSTAL's)"),
  band: z.number().int().describe("The band's 1-based index"),
  spin: z.enum(["alpha", "beta"]).nullable().describe("Its spin (null: closed shell)"),
  label: z.string().nullable().describe("The special point it is at, or null between points"),
  segment: z.string().describe('The segment it lies on, "G-X"'),
  fraction: z.number().describe("How far along that segment, 0 to 1"),
});
const FILE = z.strictObject({
  pk: z.number().int().describe("The job whose directory holds it (jobs.get_output_file)"),
  name: z.string().describe("The file's name"),
});

interface BandsMeta {
  segments: Segment[];
  /** The last band written: given, or the offset of a band token from the valence band. */
  last_band: number | null;
  last_offset?: number;
}

/** The band range of a window around the valence band, as band tokens. */
function tokens(side: { below: number; above: number }): [string, string] {
  return [bandToken(-side.below), bandToken(side.above)];
}

/** The last band written: given, or placed by the SCF output as the run placed it. */
function lastBandOf(meta: BandsMeta, scf: MemberOutcome): number {
  if (meta.last_band !== null) return meta.last_band;
  try {
    return bandAt(meta.last_offset!, bandCountOf(scf.files?.[SCF_OUTPUT] ?? ""));
  } catch (error) {
    if (!(error instanceof BandWindowError)) throw error;
    throw new WorkflowFailure(`Cannot read the bands of SCF job ${scf.job?.pk}: ${error.message}`);
  }
}

/** The band structure of the properties member, from its fort.25. */
function bandsOf(member: MemberOutcome, lastBand: number): BandStructure {
  const text = member.files?.["fort.25"];
  if (text === undefined) {
    throw new WorkflowFailure(
      `Cannot read the bands: job ${member.job?.pk} left no fort.25 (BAND writes it)`,
    );
  }
  const meta = member.meta as unknown as BandsMeta;
  try {
    return bandStructureOf(parseFort25(text).bands, {
      segments: meta.segments,
      last_band: lastBand,
    });
  } catch (error) {
    if (!(error instanceof Fort25Error || error instanceof BandStructureError)) throw error;
    throw new WorkflowFailure(`Cannot read the bands of job ${member.job?.pk}: ${error.message}`);
  }
}

/** The occupied band count of each spin and the state: the properties run's, else its SCF's. */
function occupationOf(member: MemberOutcome, scf: MemberOutcome) {
  const levels = electronicLevels(member.files?.[PROPERTIES_OUTPUT] ?? "");
  const scfLevels = electronicLevels(scf.files?.[SCF_OUTPUT] ?? "");
  return levels.state === null && levels.valence_bands.length === 0
    ? { valence: scfLevels.valence_bands, state: scfLevels.state }
    : { valence: levels.valence_bands, state: levels.state };
}

/** The band-structure workflow type. */
export const BANDS = defineWorkflowType({
  type: "bands",
  summary: "Band structure and DOS: an SCF, then properties BAND and DOSS, and the gap",
  description: "Runs a single-point SCF of the deck, then properties alone on its fort.9 (a " +
    "properties-only job restarting from it): NEWK on the SCF's SHRINK mesh, BAND along the " +
    "k-path and, with with_dos, DOSS. With source_job_pk naming a completed job whose fort.9 is " +
    "still there, that job is the SCF and only properties runs. The default k-path follows the " +
    "Bravais lattice of the deck's space group, with CRYSTAL's symbolic labels where it has " +
    "them (cF G X W L G, cI G H N G P H, cP G X M G R X, hP G M K G A L H A, tP G X M G Z R A Z, " +
    "tI G X P G M) and Γ-½b1-½(b1+b2)-Γ-½b3 otherwise; path gives labels instead. The bands " +
    "written are the 100 around band ceil(N/2), for the N electrons per cell the SCF output " +
    "prints (bands gives others), the DOS the 20 around it; the properties deck holds them as " +
    "band tokens (@VB-49@ @VB+50@) placed when properties starts, so the job is queued behind " +
    "the SCF (by afterok on one SLURM cluster). The gap is read along the path from fort.25 (Hartree, " +
    "converted to eV) with the occupied band count the properties output prints (TOP OF " +
    "VALENCE BANDS); it is direct when the smallest gap at one k-point equals it.",
  params: z.strictObject({
    path: z.array(z.string().max(5)).min(2).max(30).optional().describe(
      'Point labels along the path, e.g. ["G","X","W","L","G"]; "X|K" breaks it at X and ' +
        "goes on from K",
    ),
    points_per_segment: z.number().int().min(2).max(1000).default(50).describe(
      "k-points per segment of the path",
    ),
    with_dos: z.boolean().default(true).describe("Also compute the density of states (DOSS)"),
    bands: z.tuple([z.number().int().min(1), z.number().int().min(1)]).optional().describe(
      "First and last band to write (default: 100 around the top valence band)",
    ),
  }),
  result: z.strictObject({
    gap_ev: z.number().describe("The gap along the path, eV (0 for a metal)"),
    direct: z.boolean().describe("Whether the gap is direct (VBM and CBM at one k-point)"),
    is_metal: z.boolean().describe("A conducting state, or bands that overlap"),
    direct_gap_ev: z.number().nullable().describe("The smallest gap at one k-point, eV"),
    vbm: EDGE.nullable().describe("The valence band maximum (null for a metal)"),
    cbm: EDGE.nullable().describe("The conduction band minimum (null for a metal)"),
    fermi_energy_ev: z.number().describe("The Fermi energy fort.25 gives, eV"),
    path: z.array(z.string()).describe('The path\'s labels, "X|K" at a break'),
    occupied_bands: z.array(z.number().int()).describe(
      "The top valence band the output prints: one, or alpha and beta",
    ),
    bands_written: z.tuple([z.number().int(), z.number().int()]).describe(
      "The first and last band in the files",
    ),
    spin_polarized: z.boolean().describe("Open shell: alpha and beta bands"),
    k_points: z.number().int().describe("k-points along the path"),
    bands_file: FILE.describe("The band energies (BAND.DAT, or fort.25)"),
    dos_file: FILE.nullable().describe("The DOS (DOSS.DAT, or fort.25), null without with_dos"),
    scf_pk: z.number().int().describe("The SCF job whose wave function was used"),
    properties_pk: z.number().int().describe("The properties job"),
  }),
  reads: [SCF_OUTPUT, PROPERTIES_OUTPUT, "fort.25", "BAND.DAT", "DOSS.DAT"],
  plan(params, base) {
    if (params.bands && params.bands[0] > params.bands[1]) {
      throw new InvalidParamsError(
        `Invalid bands: [${params.bands.join(", ")}] must go from the first band to the last`,
      );
    }
    const source = base.source;
    const reused = source?.job.state === "completed" && source.has_wave_function
      ? source.job
      : null;
    const scfInput = reused?.input ??
      writeDeck(asSinglePoint(base.deck, `${base.name}: SCF for bands`));
    const deck: Deck = reused === null ? base.deck : parseDeck(reused.input);
    const mesh = findKeyword(deck.hamiltonian, "SHRINK")?.args;
    if (mesh === undefined) {
      throw new InvalidParamsError(
        reused === null
          ? "Cannot compute bands: the base deck has no SHRINK (NEWK's mesh)"
          : `Cannot run NEWK: job ${reused.pk}'s deck has no SHRINK`,
      );
    }
    const path = kPathFor(deck, params.path);
    // Without bands given, the window is placed by the SCF's output when properties starts
    // (band tokens), so the job can be queued behind the SCF, by afterok on one SLURM cluster.
    const meta: BandsMeta = params.bands
      ? { segments: path.segments, last_band: params.bands[1] }
      : { segments: path.segments, last_band: null, last_offset: BAND_WINDOW.above };
    return [
      reused === null
        ? {
          key: "scf",
          name: `${base.name} SCF`.slice(0, 200),
          input: scfInput,
          depends_on: [],
          meta: { study: base.name },
        }
        : {
          key: "scf",
          name: reused.name,
          input: reused.input,
          depends_on: [],
          meta: { study: base.name, reused: true },
          job_pk: reused.pk,
        },
      {
        key: "bands",
        name: `${base.name} bands`.slice(0, 200),
        input: scfInput,
        properties_input: bandsDeck({
          title: `${base.name}: bands`,
          mesh,
          path,
          points_per_segment: params.points_per_segment,
          bands: params.bands ?? tokens(BAND_WINDOW),
          dos: params.with_dos
            ? {
              bands: params.bands ?? tokens(DOS_WINDOW),
              points: DOS_POINTS,
              polynomials: DOS_POLYNOMIALS,
            }
            : null,
        }),
        restart_from: "scf",
        properties_only: true,
        depends_on: ["scf"],
        meta: meta as unknown as Record<string, unknown>,
      },
    ];
  },
  analyse(params, members) {
    const scf = members.find((m) => m.key === "scf")!;
    const member = members.find((m) => m.key === "bands");
    if (member === undefined || member.job?.state !== "completed") {
      throw new WorkflowFailure(
        `Cannot read the bands: the properties run (${member ? memberStatus(member) : "none"})`,
      );
    }
    const meta = member.meta as unknown as BandsMeta;
    const lastBand = lastBandOf(meta, scf);
    const bands = bandsOf(member, lastBand);
    const { valence, state } = occupationOf(member, scf);
    let gap;
    try {
      gap = gapOf(bands, { segments: meta.segments, valence, state });
    } catch (error) {
      if (!(error instanceof BandStructureError)) throw error;
      throw new WorkflowFailure(`Cannot find the gap of job ${member.job.pk}: ${error.message}`);
    }
    const warnings: string[] = [];
    if (bands.spins === 2 && valence.length === 1) {
      warnings.push("The output printed one top valence band for both spins: used for each");
    }
    const files = member.files ?? {};
    const hasDos = parseFort25(files["fort.25"]!).dos.length > 0 || "DOSS.DAT" in files;
    if (params.with_dos && !hasDos) warnings.push("properties wrote no DOS (no DOSS record)");
    const pk = member.job.pk;
    const { at: _at, ...edges } = gap;
    return {
      result: {
        ...edges,
        fermi_energy_ev: bands.fermi_ha * HARTREE_TO_EV,
        path: pathLabels(meta.segments),
        occupied_bands: valence,
        bands_written: [bands.first_band, lastBand] as [number, number],
        spin_polarized: bands.spins === 2,
        k_points: bands.distances.length,
        bands_file: { pk, name: "BAND.DAT" in files ? "BAND.DAT" : "fort.25" },
        dos_file: params.with_dos && hasDos
          ? { pk, name: "DOSS.DAT" in files ? "DOSS.DAT" : "fort.25" }
          : null,
        scf_pk: scf.job!.pk,
        properties_pk: pk,
      },
      warnings,
    };
  },
  plot(result, params, members) {
    const member = members?.find((m) => m.key === "bands");
    if (member === undefined || member.files?.["fort.25"] === undefined) {
      throw new InvalidStateError(
        `Cannot plot the bands: job ${result.properties_pk}'s fort.25 is no longer there`,
      );
    }
    const meta = member.meta as unknown as BandsMeta;
    const bands = bandsOf(member, result.bands_written[1]);
    const ev = (ha: number) => (ha - bands.fermi_ha) * HARTREE_TO_EV;
    const top = result.cbm === null ? 0 : Math.ceil(result.cbm.energy_ev - result.fermi_energy_ev);
    const yRange = [-10, Math.max(10, top + 3)] as const;
    const breaks = new Set(
      meta.segments.flatMap((s, i) => i > 0 && meta.segments[i - 1]!.to !== s.from ? [i] : []),
    );
    const lines = bands.energies.flatMap((levels, spin) =>
      levels[0]!.flatMap((_, b) => {
        const runs: [number, number][][] = [[]];
        levels.forEach((atK, k) => {
          if (breaks.has(bands.segment_of[k]!) && bands.fraction[k] === 0) runs.push([]);
          runs.at(-1)!.push([bands.distances[k]!, ev(atK[b]!)]);
        });
        return runs.filter((run) => run.some(([, y]) => y >= yRange[0] && y <= yRange[1]))
          .map((points) => ({
            points,
            spin: bands.spins === 1 ? null : spin === 0 ? "alpha" as const : "beta" as const,
          }));
      })
    );
    const gap = result.is_metal ? null : gapOf(bands, {
      segments: meta.segments,
      valence: result.occupied_bands,
      state: null,
    });
    const f25 = parseFort25(member.files["fort.25"]);
    return {
      kind: "bands" as const,
      title: `Band structure${
        result.is_metal ? " (metal)" : `, gap ${result.gap_ev.toFixed(3)} eV`
      }`,
      lines,
      ticks: bands.ticks,
      y_range: yRange,
      edges: gap === null || gap.at === null ? [] : [
        { x: gap.at.vbm, y: gap.vbm!.energy_ev - result.fermi_energy_ev, label: "VBM" },
        { x: gap.at.cbm, y: gap.cbm!.energy_ev - result.fermi_energy_ev, label: "CBM" },
      ],
      dos: params.with_dos ? totalDosOf(f25.dos) : null,
    };
  },
  example: {
    params: { path: ["G", "X", "W", "L", "G"], points_per_segment: 50, with_dos: true },
    result: {
      gap_ev: 7.1237,
      direct: true,
      is_metal: false,
      direct_gap_ev: 7.1237,
      vbm: { energy_ev: -4.1367, band: 10, spin: null, label: "G", segment: "G-X", fraction: 0 },
      cbm: { energy_ev: 2.987, band: 11, spin: null, label: "G", segment: "G-X", fraction: 0 },
      fermi_energy_ev: -4.1367,
      path: ["G", "X", "W", "L", "G"],
      occupied_bands: [10],
      bands_written: [1, 26],
      spin_polarized: false,
      k_points: 200,
      bands_file: { pk: 2, name: "BAND.DAT" },
      dos_file: { pk: 2, name: "DOSS.DAT" },
      scf_pk: 1,
      properties_pk: 2,
    },
  },
});
