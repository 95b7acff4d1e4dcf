/**
 * The electronic-structure facts a band-structure study needs from a CRYSTAL or properties
 * output, each as CRYSTAL prints it (shared fixtures out_mgoSCF.out, out_mgo.outp, Na2O.out):
 *
 * - ` NUMBER OF AO                26 ...` and ` N. OF ELECTRONS PER CELL    20 ...`;
 * - after each Fermi-level computation (every SCF cycle, and NEWK with IFE = 1), either
 *   ` INSULATING STATE` with ` TOP OF VALENCE BANDS -    BAND     10; K    1; EIG -1.52E-01 AU`
 *   and ` BOTTOM OF VIRTUAL BANDS - BAND     11; ...`, or ` CONDUCTING STATE` with the Fermi
 *   energy; the last such block is the one that counts;
 * - the Fermi energy: ` ENERGY RANGE (A.U.) ... EFERMI  -0.15202` (BAND), or
 *   ` N. OF SCF CYCLES    7  FERMI ENERGY   -0.152E+00` (the wave function's header).
 *
 * The top valence band's index is the number of occupied bands of that spin; an open-shell run
 * prints one TOP OF VALENCE BANDS line per spin (alpha first). Pure.
 *
 * @module
 */

/** What one output says about the electronic levels. */
export interface ElectronicLevels {
  ao_count: number | null;
  electrons_per_cell: number | null;
  /** From the last INSULATING/CONDUCTING block: its state, or null when none was printed. */
  state: "insulating" | "conducting" | null;
  /**
   * The top valence band (1-based) of that block: one entry for a closed-shell run (the highest
   * of its TOP OF VALENCE BANDS lines), alpha then beta for an open-shell one. Empty for a
   * conductor or when nothing was printed.
   */
  valence_bands: number[];
  /** The last Fermi energy printed, Hartree. */
  fermi_ha: number | null;
}

const BAND_LINE = /BAND\s+(\d+);/;

function numberAfter(line: string, label: string): number | null {
  const at = line.indexOf(label);
  if (at < 0) return null;
  const rest = line.slice(at + label.length).replace(/^\s*\(AU\)/, "");
  const value = Number(/^\s*(-?[\d.]+(?:[EeDd][-+]?\d+)?)/.exec(rest)?.[1]?.replace(/[Dd]/, "E"));
  return Number.isFinite(value) ? value : null;
}

/** Reads the levels from a whole output. */
export function electronicLevels(text: string): ElectronicLevels {
  const levels: ElectronicLevels = {
    ao_count: null,
    electrons_per_cell: null,
    state: null,
    valence_bands: [],
    fermi_ha: null,
  };
  const tops: Record<"alpha" | "beta" | "none", number[]> = { alpha: [], beta: [], none: [] };
  // A block is one Fermi-level computation: both spins of an open-shell run, after their
  // "ALPHA ELECTRONS" and "BETA ELECTRONS" headers, make one block.
  let spin: "alpha" | "beta" | null = null;
  const startBlock = () => {
    levels.state = null;
    tops.alpha = [], tops.beta = [], tops.none = [];
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("NUMBER OF AO")) levels.ao_count = numberAfter(line, "NUMBER OF AO");
    else if (line.startsWith("N. OF ELECTRONS PER CELL")) {
      levels.electrons_per_cell = numberAfter(line, "N. OF ELECTRONS PER CELL");
    } else if (/^(ALPHA|BETA)\s+ELECTRONS/.test(line)) {
      spin = line.startsWith("ALPHA") ? "alpha" : "beta";
      if (spin === "alpha") tops.alpha = [], tops.beta = [], tops.none = [];
    } else if (line.includes("INSULATING STATE") || line.includes("CONDUCTING STATE")) {
      if (spin === null) startBlock();
      if (levels.state !== "conducting") {
        levels.state = line.includes("CONDUCTING") ? "conducting" : "insulating";
      }
      if (line.includes("EFERMI")) levels.fermi_ha = numberAfter(line, "EFERMI") ?? levels.fermi_ha;
    } else if (line.startsWith("TOP OF VALENCE BANDS")) {
      const band = BAND_LINE.exec(line)?.[1];
      if (band !== undefined) tops[spin ?? "none"].push(Number(band));
    } else if (line.startsWith("BOTTOM OF VIRTUAL BANDS") && spin === "beta") spin = null;
    else if (line.includes("EFERMI")) {
      levels.fermi_ha = numberAfter(line, "EFERMI") ?? levels.fermi_ha;
    } else if (line.startsWith("N. OF SCF CYCLES") && line.includes("FERMI ENERGY")) {
      levels.fermi_ha = numberAfter(line, "FERMI ENERGY") ?? levels.fermi_ha;
    }
  }
  const highest = (bands: number[]) => Math.max(...bands);
  if (levels.state !== "conducting") {
    levels.valence_bands = tops.alpha.length > 0 && tops.beta.length > 0
      ? [highest(tops.alpha), highest(tops.beta)]
      : tops.none.length > 0
      ? [highest(tops.none)]
      : [];
  }
  return levels;
}
