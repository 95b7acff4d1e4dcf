/**
 * A band structure along a k-path and its gap, from what properties wrote (fort.25) and what its
 * output says about the occupied bands. The occupied band count is CRYSTAL's own (the index of
 * the TOP OF VALENCE BANDS), never guessed from the Fermi energy: on the path the top valence
 * band can rise above the Fermi energy of the SCF mesh. Energies in eV via HARTREE_TO_EV. Pure.
 *
 * @module
 */
import { HARTREE_TO_EV } from "../crystal/output_parser.ts";
import type { BandRecord, DosRecord } from "../crystal/fort25.ts";

/** One segment of the path, by its end labels. */
export interface Segment {
  from: string;
  to: string;
}

/** The bands along the path, ready for the gap and the plot. */
export interface BandStructure {
  /** 1 closed shell, 2 open shell (alpha, beta). */
  spins: 1 | 2;
  /** The first band held (CRYSTAL's INZB): energies[s][k][0] is that band. */
  first_band: number;
  /** The path coordinate of each k-point (bohr⁻¹, cumulative). */
  distances: number[];
  /** The segment of each k-point, and its fraction along it (0 to 1). */
  segment_of: number[];
  fraction: number[];
  /** The label positions along the path; a break between segments reads "X|K". */
  ticks: { x: number; label: string }[];
  fermi_ha: number;
  /** energies[spin][k][band], Hartree. */
  energies: number[][][];
}

/** A band edge: where on the path and how high. */
export interface BandEdge {
  energy_ev: number;
  /** The band's 1-based index. */
  band: number;
  spin: "alpha" | "beta" | null;
  /** The label when the edge is at a labelled point, else null. */
  label: string | null;
  /** "G-X": the segment it lies on, and how far along it (0 to 1). */
  segment: string;
  fraction: number;
}

/** The gap along the path. */
export interface Gap {
  gap_ev: number;
  direct: boolean;
  is_metal: boolean;
  /** The smallest gap at one k-point (same spin), eV; null for a metal. */
  direct_gap_ev: number | null;
  vbm: BandEdge | null;
  cbm: BandEdge | null;
  /** Where the edges are along the path (BandStructure.distances), for a plot. */
  at: { vbm: number; cbm: number } | null;
}

/** A band structure that cannot be read as asked, saying why. */
export class BandStructureError extends Error {
  override name = "BandStructureError";
}

/** Energies equal to this (Hartree) are the same level: they are printed to 5 digits. */
const SAME = 1e-9;

/** The labels of the path, pymatgen-style: consecutive labels, "X|K" at a break. */
export function pathLabels(segments: readonly Segment[]): string[] {
  const labels: string[] = [];
  segments.forEach((s, i) => {
    if (i === 0) labels.push(s.from);
    else if (segments[i - 1]!.to !== s.from) labels[labels.length - 1] += `|${s.from}`;
    labels.push(s.to);
  });
  return labels;
}

/**
 * Joins the BAND records of fort.25 into a path of `segments`. `last_band` is the IFNB the
 * .d3 asked for; the records hold the NBAND bands that end there. (CRYSTAL 17 wrote bands 1-14
 * for INZB 7, IFNB 14, in aiida-crystal-dft's mgo_sto3g test data: NBAND is then 14, not 8,
 * and counting back from IFNB gives band 1 either way.)
 */
export function bandStructureOf(
  records: readonly BandRecord[],
  options: { segments: readonly Segment[]; last_band: number },
): BandStructure {
  const { segments } = options;
  const spins = records.length === 2 * segments.length ? 2 : 1;
  if (records.length !== segments.length * spins || records.length === 0) {
    throw new BandStructureError(
      `fort.25 holds ${records.length} BAND records for a path of ${segments.length} segments`,
    );
  }
  const nbands = records[0]!.nbands;
  if (records.some((r) => r.nbands !== nbands)) {
    throw new BandStructureError("fort.25's BAND records do not all hold the same bands");
  }
  const distances: number[] = [];
  const segmentOf: number[] = [];
  const fraction: number[] = [];
  const ticks: { x: number; label: string }[] = [];
  const labels = pathLabels(segments);
  let x = 0;
  records.slice(0, segments.length).forEach((record, s) => {
    ticks.push({ x, label: labels[s]! });
    for (let k = 0; k < record.nk; k++) {
      distances.push(x + k * record.dk);
      segmentOf.push(s);
      fraction.push(record.nk > 1 ? k / (record.nk - 1) : 0);
    }
    x += (record.nk - 1) * record.dk;
  });
  ticks.push({ x, label: labels.at(-1)! });
  const energies = Array.from(
    { length: spins },
    (_, s) =>
      records.slice(s * segments.length, (s + 1) * segments.length).flatMap((r) => r.energies),
  );
  return {
    spins,
    first_band: options.last_band - nbands + 1,
    distances,
    segment_of: segmentOf,
    fraction,
    ticks,
    fermi_ha: records[0]!.fermi_ha,
    energies,
  };
}

function edge(
  bands: BandStructure,
  segments: readonly Segment[],
  at: { spin: number; k: number; band: number; energy: number },
): BandEdge {
  const s = bands.segment_of[at.k]!;
  const t = bands.fraction[at.k]!;
  const segment = segments[s]!;
  return {
    energy_ev: at.energy * HARTREE_TO_EV,
    band: at.band,
    spin: bands.spins === 1 ? null : at.spin === 0 ? "alpha" : "beta",
    label: t === 0 ? segment.from : t === 1 ? segment.to : null,
    segment: `${segment.from}-${segment.to}`,
    fraction: t,
  };
}

/**
 * The gap from the bands and the occupied band count of each spin (`valence`: CRYSTAL's top
 * valence band, one entry, or alpha and beta). A conducting state, or bands that overlap, is a
 * metal: gap 0, no edges.
 * @throws {BandStructureError} when the bands held do not include the edges
 */
export function gapOf(
  bands: BandStructure,
  options: {
    segments: readonly Segment[];
    valence: readonly number[];
    state: "insulating" | "conducting" | null;
  },
): Gap {
  const metal: Gap = {
    gap_ev: 0,
    direct: false,
    is_metal: true,
    direct_gap_ev: null,
    vbm: null,
    cbm: null,
    at: null,
  };
  if (options.state === "conducting") return metal;
  if (options.valence.length === 0) {
    throw new BandStructureError(
      "the properties output prints no TOP OF VALENCE BANDS: the occupied bands are unknown",
    );
  }
  const held = bands.energies[0]![0]!.length;
  const last = bands.first_band + held - 1;
  let vbm = { spin: 0, k: 0, band: 0, energy: -Infinity };
  let cbm = { spin: 0, k: 0, band: 0, energy: Infinity };
  let direct = Infinity;
  for (let s = 0; s < bands.spins; s++) {
    const top = options.valence[Math.min(s, options.valence.length - 1)]!;
    if (top < bands.first_band || top + 1 > last) {
      throw new BandStructureError(
        `bands ${top} and ${top + 1} (the valence and conduction edges) are not all among the ` +
          `bands ${bands.first_band}-${last} written: widen \`bands\``,
      );
    }
    bands.energies[s]!.forEach((levels, k) => {
      const ev = levels[top - bands.first_band]!;
      const ec = levels[top + 1 - bands.first_band]!;
      if (ev > vbm.energy + SAME) vbm = { spin: s, k, band: top, energy: ev };
      if (ec < cbm.energy - SAME) cbm = { spin: s, k, band: top + 1, energy: ec };
      direct = Math.min(direct, ec - ev);
    });
  }
  const gap = cbm.energy - vbm.energy;
  if (gap <= 0) return metal;
  return {
    gap_ev: gap * HARTREE_TO_EV,
    direct: direct - gap <= SAME,
    is_metal: false,
    direct_gap_ev: direct * HARTREE_TO_EV,
    vbm: edge(bands, options.segments, vbm),
    cbm: edge(bands, options.segments, cbm),
    at: { vbm: bands.distances[vbm.k]!, cbm: bands.distances[cbm.k]! },
  };
}

/** The total density of states, summed over spins, in states per eV per cell. */
export interface Dos {
  /** E − E_F, eV. */
  energies_ev: number[];
  states_per_ev: number[];
}

/**
 * The total DOS of fort.25's DOSS records: per spin, the total is the last record (after the
 * projections); an open-shell file (IHFERM odd) holds alpha then beta.
 */
export function totalDosOf(records: readonly DosRecord[]): Dos | null {
  if (records.length === 0) return null;
  const isOpen = records[0]!.ihferm % 2 === 1 && records.length % 2 === 0;
  const totals = isOpen ? [records[records.length / 2 - 1]!, records.at(-1)!] : [records.at(-1)!];
  const first = totals[0]!;
  return {
    energies_ev: first.values.map((_, i) =>
      (first.e0 + i * first.de - first.fermi_ha) * HARTREE_TO_EV
    ),
    states_per_ev: first.values.map((_, i) =>
      totals.reduce((sum, t) => sum + (t.values[i] ?? 0), 0) / HARTREE_TO_EV
    ),
  };
}
