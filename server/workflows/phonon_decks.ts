/**
 * The decks of a phonon study: an optional optimisation, and the FREQCALC run at Γ (on the
 * deck's geometry, or on the optimised one read from fort.34 with EXTERNAL), with SCELPHONO and
 * DISPERSI for a dispersion, following `../shared/docs/materials-workflows.md` §3.3. Pure.
 *
 * @module
 */
import { type Deck, type DeckKeyword, findKeyword } from "../crystal/deck.ts";
import { InvalidParamsError } from "../errors.ts";
import { asSinglePoint, replaceKeyword } from "./deck_edits.ts";

/**
 * The SCF energy tolerance a frequency run needs, 10^-10 Ha: CRYSTAL warns below it
 * (`WARNING **** READM2 **** PROBABLE LOSS IN FREQCALC ACCURACY; SCF TOL LT 10`, spec_dryIceIR.out).
 */
export const FREQCALC_TOLDEE = 10;

/** A 3×3 integer supercell matrix, rows as CRYSTAL reads them after SCELPHONO. */
export type Supercell = readonly (readonly [number, number, number])[];

/** Modes that are rigid at Γ, by dimensionality: translations, plus a polymer's axial rotation. */
const RIGID_MODES = { CRYSTAL: 3, SLAB: 3, POLYMER: 4 } as const;

/** The determinant of a 3×3 matrix: the number of cells in the supercell. */
export function determinant(m: Supercell): number {
  const [a, b, c] = m as [Supercell[0], Supercell[0], Supercell[0]];
  return a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
    a[2] * (b[0] * c[1] - b[1] * c[0]);
}

/**
 * How many modes are rigid at Γ for the deck's geometry.
 * @throws {InvalidParamsError} for a molecule or a geometry read from a file
 */
export function rigidModesOf(deck: Deck): number {
  const { kind } = deck.geometry;
  if (kind === "CRYSTAL" || kind === "SLAB" || kind === "POLYMER") return RIGID_MODES[kind];
  throw new InvalidParamsError(
    kind === "MOLECULE"
      ? "Cannot plan a phonon study of a MOLECULE: phonons need a periodic geometry (CRYSTAL, " +
        "SLAB or POLYMER); run a molecule's FREQCALC as a single job"
      : `Cannot plan a phonon study: the base deck reads its geometry from a file (${kind}); ` +
        "give the geometry in the deck",
  );
}

/** The deck's SCF tightened to at least FREQCALC_TOLDEE. */
function withFrequencyToldee(deck: Deck): Deck {
  const given = Number((findKeyword(deck.hamiltonian, "TOLDEE")?.args[0] ?? "").trim());
  if (Number.isInteger(given) && given >= FREQCALC_TOLDEE) return deck;
  return {
    ...deck,
    hamiltonian: replaceKeyword(deck.hamiltonian, {
      keyword: "TOLDEE",
      args: [String(FREQCALC_TOLDEE)],
    }),
  };
}

/** The optimisation run first: atoms and cell (FULLOPTG), everything else as in the deck. */
export function optimisationDeck(base: Deck, title: string): Deck {
  const deck = asSinglePoint(base, title);
  const optgeom: DeckKeyword = {
    keyword: "OPTGEOM",
    args: [],
    block: { keywords: [{ keyword: "FULLOPTG", args: [] }], end: "ENDOPT" },
  };
  return {
    ...deck,
    geometry_keywords: [...deck.geometry_keywords, optgeom],
    optgeom: { max_cycles: null },
  };
}

/**
 * The FREQCALC run. On the optimised geometry it reads fort.34 (EXTERNAL) and drops the deck's
 * geometry keywords, which that geometry already reflects (SUPERCEL, ATOMSUBS ...). SCELPHONO
 * goes before FREQCALC and DISPERSI inside it; INTENS asks for IR intensities.
 */
export function frequencyDeck(
  base: Deck,
  options: {
    title: string;
    on_optimised_geometry: boolean;
    ir_intensities: boolean;
    supercell: Supercell | null;
  },
): Deck {
  const deck = withFrequencyToldee(asSinglePoint(base, options.title));
  const inside: DeckKeyword[] = [
    ...(options.ir_intensities ? [{ keyword: "INTENS", args: [] }] : []),
    ...(options.supercell ? [{ keyword: "DISPERSI", args: [] }] : []),
  ];
  const scelphono: DeckKeyword[] = options.supercell
    ? [{ keyword: "SCELPHONO", args: options.supercell.map((row) => row.join(" ")) }]
    : [];
  const freqcalc: DeckKeyword = {
    keyword: "FREQCALC",
    args: [],
    block: { keywords: inside, end: "ENDFREQ" },
  };
  return {
    ...deck,
    ...(options.on_optimised_geometry ? { geometry: { kind: "EXTERNAL" as const } } : {}),
    geometry_keywords: [
      ...(options.on_optimised_geometry ? [] : deck.geometry_keywords),
      ...scelphono,
      freqcalc,
    ],
    freqcalc: true,
  };
}
