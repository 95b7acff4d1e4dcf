import assert from "node:assert/strict";
import {
  type Atom,
  type BasisShell,
  type Deck,
  type DeckKeyword,
  DeckSyntaxError,
  findKeyword,
  parseDeck,
  parsePropertiesDeck,
  validateDeck,
  writeDeck,
} from "../../../server/crystal/deck.ts";
import { fixtureTest, listCrystalFixtures, readCrystalFixture } from "../../_fixtures.ts";

/** A deck reduced to the facts the tables below state: keywords are outlined as text. */
type DeckSummary = {
  title: string;
  geometry: Record<string, unknown>;
  atom_count: number;
  first_atom: Atom | null;
  geometry_keywords: string[];
  basis:
    | { kind: "builtin"; name: string }
    | { kind: "explicit"; atoms: number[][]; first_shell: ShellSummary | null };
  hamiltonian: string[];
  terminators: Deck["terminators"];
  max_scf_cycles: number | null;
  optgeom: Deck["optgeom"];
  freqcalc: boolean;
};
type ShellSummary = Omit<BasisShell, "primitives"> & { primitives: number; first: string | null };

/** `KEYWORD: arg / arg [sub, keywords] END`, so a table can state a keyword list in one line. */
function outline(keywords: readonly DeckKeyword[]): string[] {
  return keywords.map((entry) => {
    const args = entry.args.length === 0 ? "" : `: ${entry.args.join(" / ")}`;
    const block = entry.block === undefined
      ? ""
      : ` [${outline(entry.block.keywords).join(", ")}] ${entry.block.end}`;
    return entry.keyword + args + block;
  });
}

function summarize(deck: Deck): DeckSummary {
  const { geometry, basis } = deck;
  const atoms = "atoms" in geometry ? geometry.atoms : [];
  const shell = basis.kind === "explicit" ? basis.atoms[0]?.shells[0] : undefined;
  return {
    title: deck.title,
    geometry: Object.fromEntries(Object.entries(geometry).filter(([key]) => key !== "atoms")),
    atom_count: atoms.length,
    first_atom: atoms[0] ?? null,
    geometry_keywords: outline(deck.geometry_keywords),
    basis: basis.kind === "builtin" ? basis : {
      kind: "explicit",
      atoms: basis.atoms.map((atom) => [atom.atomic_number, atom.shells.length]),
      first_shell: shell === undefined
        ? null
        : { ...shell, primitives: shell.primitives.length, first: shell.primitives[0] ?? null },
    },
    hamiltonian: outline(deck.hamiltonian),
    terminators: deck.terminators,
    max_scf_cycles: deck.max_scf_cycles,
    optgeom: deck.optgeom,
    freqcalc: deck.freqcalc,
  };
}

const CUBIC_0 = { kind: "CRYSTAL", flags: { iflag: 0, ifhr: 0, ifso: 0 }, origin_shift: null };
const MGO_HAMILTONIAN = [
  "DFT [B3LYP, XXLGRID] ENDDFT",
  "TOLINTEG: 7 7 7 7 14",
  "SHRINK: 12 24",
  "MAXCYCLE: 200",
  "FMIXING: 70",
  "DIIS",
];
const MGO_BASIS = {
  kind: "explicit" as const,
  atoms: [[12, 4], [8, 4]],
  first_shell: {
    basis_type: 0,
    shell_type: 0,
    primitive_count: 8,
    charge: 2,
    scale: 1,
    primitives: 8,
    first: "68370.0 0.0002226",
  },
};
const STO_3G_SHELL = {
  basis_type: 1,
  shell_type: 0,
  primitive_count: 3,
  charge: 2,
  scale: 0,
  primitives: 0,
  first: null,
};

/** Every `.d12` fixture, with the values read from the file by hand. */
const D12_FIXTURES: { file: string; deck: DeckSummary }[] = [
  {
    file: "Na2O.d12",
    deck: {
      title: "Na2O",
      geometry: { ...CUBIC_0, space_group: 225, lattice: { a: 5.66037 } },
      atom_count: 2,
      first_atom: { atomic_number: 11, x: 0.25, y: 0.25, z: 0.25 },
      geometry_keywords: [
        "FREQCALC [INTENS, DIELTENS: 1.50474 0.0 0.0 / 0.0 1.50474 0.0 / 0.0 0.0 1.50474] ENDFREQ",
      ],
      basis: {
        kind: "explicit",
        atoms: [[11, 5], [8, 6]],
        first_shell: {
          basis_type: 0,
          shell_type: 0,
          primitive_count: 8,
          charge: 2,
          scale: 1,
          primitives: 8,
          first: "56700      0.000225",
        },
      },
      hamiltonian: ["SHRINK: 16 16", "PPAN"],
      terminators: { geometry: "EnD", basis: "END", hamiltonian: "END" },
      max_scf_cycles: null,
      optgeom: null,
      freqcalc: true,
    },
  },
  {
    file: "crysinp_mgo.d12",
    deck: {
      title: "MGO BULK - GEOMETRY TEST",
      geometry: { ...CUBIC_0, space_group: 225, lattice: { a: 4.217 } },
      atom_count: 2,
      first_atom: { atomic_number: 12, x: 0, y: 0, z: 0 },
      geometry_keywords: [],
      basis: MGO_BASIS,
      hamiltonian: MGO_HAMILTONIAN,
      terminators: { geometry: "END", basis: "ENDBS", hamiltonian: "ENDSCF" },
      max_scf_cycles: 200,
      optgeom: null,
      freqcalc: false,
    },
  },
  {
    file: "mgo_sto3g_opt.crystal.d12",
    deck: {
      title: "MgO bulk",
      geometry: { ...CUBIC_0, space_group: 225, lattice: { a: 4.21 } },
      atom_count: 2,
      first_atom: { atomic_number: 12, x: 0, y: 0, z: 0 },
      geometry_keywords: ["OPTGEOM [FULLOPTG] ENDOPT"],
      basis: { kind: "explicit", atoms: [[12, 3], [8, 2]], first_shell: STO_3G_SHELL },
      hamiltonian: ["SHRINK: 8 8"],
      terminators: { geometry: "END", basis: "END", hamiltonian: "END" },
      max_scf_cycles: null,
      optgeom: { max_cycles: null },
      freqcalc: false,
    },
  },
  {
    file: "nio_sto3g_afm_scf_maxcyc.d12",
    deck: {
      title: "NiO Bulk with AFM spin",
      geometry: { kind: "EXTERNAL" },
      atom_count: 0,
      first_atom: null,
      geometry_keywords: [],
      basis: { kind: "explicit", atoms: [[28, 5], [8, 2]], first_shell: STO_3G_SHELL },
      hamiltonian: [
        "UHF",
        "SHRINK: 8 8",
        "ATOMSPIN: 2 / 1 1 / 2 -1",
        "FMIXING: 50",
        "MAXCYCLE: 10",
        "SPINLOCK: 0 15",
        "PPAN",
      ],
      terminators: { geometry: "END", basis: "END", hamiltonian: "END" },
      max_scf_cycles: 10,
      optgeom: null,
      freqcalc: false,
    },
  },
  {
    file: "s2_molecule_opt.d12",
    deck: {
      title: "Sulfur Dimer Molecule",
      geometry: { kind: "MOLECULE", point_group: 1 },
      atom_count: 2,
      first_atom: { atomic_number: 16, x: 0, y: 0, z: 0 },
      geometry_keywords: ["OPTGEOM [PRINTOPT, MAXCYCLE: 100, FINALRUN: 4] END"],
      basis: {
        kind: "explicit",
        atoms: [[16, 10]],
        first_shell: {
          basis_type: 0,
          shell_type: 0,
          primitive_count: 7,
          charge: 2,
          scale: 1,
          primitives: 7,
          first: "60700.928104 0.00054695944225",
        },
      },
      hamiltonian: [
        "DFT [HSE06, XXLGRID, SPIN] END",
        "SHRINK: 8 16",
        "MAXCYCLE: 250",
        "TOLINTEG: 7 7 7 7 14",
        "TOLDEE: 7",
        "PPAN",
      ],
      terminators: { geometry: "ENDG", basis: "END", hamiltonian: "END" },
      max_scf_cycles: 250,
      optgeom: { max_cycles: 100 },
      freqcalc: false,
    },
  },
];

/** Decks echoed at the top of fixture outputs (run scripts print INPUT), from their title line. */
const ECHOED_D12: { file: string; title: string; deck: DeckSummary }[] = [
  {
    file: "out_coOpt.out",
    title: "Molecule test",
    deck: {
      title: "Molecule test",
      geometry: { kind: "MOLECULE", point_group: 1 },
      atom_count: 2,
      first_atom: { atomic_number: 6, x: 0, y: 0, z: 0 },
      geometry_keywords: ["OPTGEOM [] END"],
      basis: { kind: "builtin", name: "STO-3G" },
      hamiltonian: ["DFT [B3LYP] END", "TOLINTEG: 7 7 7 7 14", "MAXCYCLE: 500", "TOLDEE: 7"],
      terminators: { geometry: null, basis: null, hamiltonian: "ENDSCF" },
      max_scf_cycles: 500,
      optgeom: { max_cycles: null },
      freqcalc: false,
    },
  },
  {
    file: "conv_mgo100.out",
    title: "Adsorption tests",
    deck: {
      title: "Adsorption tests",
      geometry: { kind: "EXTERNAL" },
      atom_count: 0,
      first_atom: null,
      geometry_keywords: ["EXTPRT"],
      basis: { kind: "builtin", name: "STO-3G" },
      hamiltonian: [
        "DFT [B3LYP, XXLGRID] ENDDFT",
        "GUESSP",
        ...MGO_HAMILTONIAN.slice(1),
      ],
      terminators: { geometry: null, basis: null, hamiltonian: "ENDSCF" },
      max_scf_cycles: 200,
      optgeom: null,
      freqcalc: false,
    },
  },
  {
    file: "FAILED_GEOM_mackinawite_opt.out",
    title: "Mineralogical Magazine (1969-)' 1995 59 677 683",
    deck: {
      title: "Mineralogical Magazine (1969-)' 1995 59 677 683",
      geometry: {
        ...CUBIC_0,
        flags: { iflag: 0, ifhr: 0, ifso: 1 },
        space_group: 129,
        lattice: { a: 3.55114561, c: 5.35521437 },
      },
      atom_count: 2,
      first_atom: { atomic_number: 26, x: 0, y: 0, z: 0 },
      geometry_keywords: ["MODISYMM: 2 / 1 1 / 2 -1", "OPTGEOM [FULLOPTG, MAXCYCLE: 100] ENDOPT"],
      basis: {
        kind: "explicit",
        atoms: [[26, 14], [16, 10]],
        first_shell: {
          basis_type: 0,
          shell_type: 0,
          primitive_count: 8,
          charge: 2,
          scale: 1,
          primitives: 8,
          first: "300784.84637 0.00022806273096",
        },
      },
      hamiltonian: [
        "DFT [EXCHANGE: PBE, CORRELAT: PBE, XXLGRID, SPIN] END",
        "TOLINTEG: 7 7 7 7 14",
        "SHRINK: 8 16",
        "FMIXING: 80",
        "PPAN",
        "MAXCYCLE: 250",
        "TOLDEE: 7",
        "SCFDIR",
        "ATOMSPIN: 2 / 1 1 / 2 -1",
      ],
      terminators: { geometry: "END", basis: "END", hamiltonian: "END" },
      max_scf_cycles: 250,
      optgeom: { max_cycles: 100 },
      freqcalc: false,
    },
  },
  {
    file: "out_mgoOpt.out",
    title: "MGO BULK - GEOMETRY TEST",
    deck: {
      title: "MGO BULK - GEOMETRY TEST",
      geometry: { ...CUBIC_0, space_group: 225, lattice: { a: 4.217 } },
      atom_count: 2,
      first_atom: { atomic_number: 12, x: 0, y: 0, z: 0 },
      geometry_keywords: ["OPTGEOM [] END"],
      basis: MGO_BASIS,
      hamiltonian: MGO_HAMILTONIAN,
      terminators: { geometry: "END", basis: "ENDBS", hamiltonian: "ENDSCF" },
      max_scf_cycles: 200,
      optgeom: { max_cycles: null },
      freqcalc: false,
    },
  },
  {
    file: "spec_dryIceIR.out",
    title: "DryIce",
    deck: {
      title: "DryIce",
      geometry: { ...CUBIC_0, space_group: 205, lattice: { a: 5.46540887 } },
      atom_count: 2,
      first_atom: { atomic_number: 6, x: 0, y: 0, z: 0 },
      geometry_keywords: [
        "FREQCALC [RESTART, NUMDERIV: 2, INTENS, INTCPHF [] END, IRSPEC [] END] ENDFREQ",
      ],
      basis: {
        kind: "explicit",
        atoms: [[6, 8], [8, 8]],
        first_shell: {
          basis_type: 0,
          shell_type: 0,
          primitive_count: 6,
          charge: 2,
          scale: 1,
          primitives: 6,
          first: "13575.349682 0.00022245814352",
        },
      },
      hamiltonian: ["DFT [B3LYP-D3] ENDDFT", "SHRINK: 6 6", "TOLDEE: 9"],
      terminators: { geometry: "ENDGEOM", basis: "ENDBS", hamiltonian: "ENDSCF" },
      max_scf_cycles: null,
      optgeom: null,
      freqcalc: true,
    },
  },
];

/** The input a run script echoed into an output: from `firstLine` up to a blank or `---` line. */
function echoedInput(file: string, firstLine: string): string {
  const lines = readCrystalFixture(file).split(/\r?\n/);
  const start = lines.findIndex((line) => line.trimEnd() === firstLine);
  assert.ok(start >= 0, `${file} echoes no input starting "${firstLine}"`);
  const end = lines.findIndex((line, i) => i > start && /^(\s*$|-----)/.test(line));
  return lines.slice(start, end).join("\n");
}

for (const { file, deck: expected } of D12_FIXTURES) {
  fixtureTest(`parseDeck() reads ${file} and writeDeck() round-trips it`, () => {
    const deck = parseDeck(readCrystalFixture(file));
    assert.deepEqual(summarize(deck), expected);
    assert.deepEqual(parseDeck(writeDeck(deck)), deck);
  });
}

fixtureTest("parseDeck() fixture table covers every .d12 fixture", () => {
  assert.deepEqual(D12_FIXTURES.map((entry) => entry.file).sort(), listCrystalFixtures(".d12"));
});

for (const { file, title, deck: expected } of ECHOED_D12) {
  fixtureTest(`parseDeck() reads the deck echoed in ${file} and writeDeck() round-trips it`, () => {
    const deck = parseDeck(echoedInput(file, title));
    assert.deepEqual(summarize(deck), expected);
    assert.deepEqual(parseDeck(writeDeck(deck)), deck);
  });
}

fixtureTest("parseDeck() reads the deck echoed in out_mgoSCF.out as crysinp_mgo.d12", () => {
  const echoed = echoedInput("out_mgoSCF.out", "MGO BULK - GEOMETRY TEST");
  assert.deepEqual(parseDeck(echoed), parseDeck(readCrystalFixture("crysinp_mgo.d12")));
});

const D3_FIXTURES: { file: string; keywords: string[] }[] = [
  // CRYSTAL stops at the first top-level END: the ECHG and PATO after it are never read.
  { file: "Na2O.d3", keywords: ["BAND", "NEWK", "DOSS"] },
  { file: "propinp_1.d3", keywords: ["BAND", "NEWK", "ECHG", "DOSS"] },
];

for (const { file, keywords } of D3_FIXTURES) {
  fixtureTest(`parsePropertiesDeck() accepts ${file}`, () => {
    assert.deepEqual(parsePropertiesDeck(readCrystalFixture(file)), { keywords });
  });
}

fixtureTest("parsePropertiesDeck() fixture table covers every .d3 fixture", () => {
  assert.deepEqual(D3_FIXTURES.map((entry) => entry.file).sort(), listCrystalFixtures(".d3"));
});

fixtureTest("parsePropertiesDeck() accepts the .d3 decks echoed in outputs", () => {
  const cases = [
    { file: "out_mgo.outp", first: "NEWK", keywords: ["NEWK", "BAND"] },
    { file: "conv_mgo100.out", first: "RDFMWF", keywords: ["RDFMWF", "FMWF"] },
  ];
  for (const { file, first, keywords } of cases) {
    assert.deepEqual(parsePropertiesDeck(echoedInput(file, first)), { keywords }, file);
  }
});

// Inline decks: line N of a deck is element N - 1 of its array.
const MGO = [
  "MgO", // 1
  "CRYSTAL",
  "0 0 0",
  "225",
  "4.21", // 5
  "2",
  "12 0.0 0.0 0.0",
  "8 0.5 0.5 0.5",
  "END",
  "12 3", // 10
  "1 0 3 2.0 1.0",
  "1 1 3 8.0 1.0",
  "1 1 3 2.0 1.0",
  "8 2",
  "1 0 3 2.0 1.0", // 15
  "1 1 3 6.0 1.0",
  "99 0",
  "END",
  "SHRINK",
  "8 8", // 20
  "END",
];
const WATER = [
  "Water", // 1
  "MOLECULE",
  "1",
  "3",
  "8 0.0 0.0 0.119", // 5
  "1 0.0 0.763 -0.477",
  "1 0.0 -0.763 -0.477",
  "BASISSET",
  "STO-3G",
  "DFT", // 10
  "B3LYP",
  "END",
  "TOLDEE",
  "7",
  "END", // 15
];

function deckText(lines: readonly string[]): string {
  return lines.join("\n") + "\n";
}

/** The deck with `count` lines from line `at` (1-based) replaced by `insert`. */
function edited(lines: readonly string[], at: number, count: number, ...insert: string[]): string {
  const copy = [...lines];
  copy.splice(at - 1, count, ...insert);
  return deckText(copy);
}

function assertRejects(
  parse: (text: string) => unknown,
  text: string,
  line: number,
  reason: string,
) {
  assert.throws(() => parse(text), (error: unknown) => {
    assert.ok(error instanceof DeckSyntaxError, `not a DeckSyntaxError: ${error}`);
    assert.deepEqual({ line: error.line, reason: error.reason }, { line, reason });
    assert.equal(error.message, `Line ${line}: ${reason}`);
    return true;
  });
}

const KINDS = "CRYSTAL, SLAB, POLYMER, MOLECULE, EXTERNAL or DLVINPUT";
const MALFORMED_D12: { name: string; text: string; line: number; reason: string }[] = [
  { name: "empty input", text: "", line: 1, reason: "the deck is empty" },
  { name: "blank input", text: "  \n\n", line: 1, reason: "the deck is empty" },
  {
    name: "a deck with only a title",
    text: "MgO\n",
    line: 2,
    reason: `expected a geometry keyword (${KINDS}), got the end of the input`,
  },
  {
    name: "a missing geometry keyword",
    text: edited(MGO, 2, 1),
    line: 2,
    reason: `expected a geometry keyword (${KINDS}), got "0 0 0"`,
  },
  {
    name: "an unknown geometry keyword",
    text: edited(MGO, 2, 1, "CRISTAL"),
    line: 2,
    reason: `unknown geometry keyword "CRISTAL": expected ${KINDS}`,
  },
  {
    name: "a short symmetry flags line",
    text: edited(MGO, 3, 1, "0 0"),
    line: 3,
    reason: 'expected the symmetry flags IFLAG IFHR IFSO, got "0 0"',
  },
  {
    name: "a non-numeric space group",
    text: edited(MGO, 4, 1, "abc"),
    line: 4,
    reason: 'expected a space group number, got "abc"',
  },
  {
    name: "a space group out of range",
    text: edited(MGO, 4, 1, "231"),
    line: 4,
    reason: 'expected a space group number from 1 to 230, got "231"',
  },
  {
    name: "a non-numeric lattice parameter",
    text: edited(MGO, 5, 1, "4.2l"),
    line: 5,
    reason: 'expected lattice parameter a as a number, got "4.2l"',
  },
  {
    name: "too few lattice parameters for an orthorhombic group",
    text: edited(MGO, 4, 2, "62", "5.1 6.2"),
    line: 5,
    reason: 'expected 3 lattice parameters (a b c) for space group 62, got "5.1 6.2"',
  },
  {
    name: "too many lattice parameters for a cubic group",
    text: edited(MGO, 5, 1, "4.21 4.21 4.21"),
    line: 5,
    reason: 'expected 1 lattice parameter (a) for space group 225, got "4.21 4.21 4.21"',
  },
  {
    name: "an atom count larger than the atoms given",
    text: edited(MGO, 6, 1, "3"),
    line: 9,
    reason: 'expected atom 3 of 3 as "NAT x y z", got "END"',
  },
  {
    name: "a non-numeric atom count",
    text: edited(MGO, 6, 1, "two"),
    line: 6,
    reason: 'expected the number of atoms, got "two"',
  },
  {
    name: "an OPTGEOM block left open before BASISSET",
    text: edited(WATER, 8, 0, "OPTGEOM", "FULLOPTG"),
    line: 10,
    reason: 'expected END to close the OPTGEOM block opened on line 8, got "BASISSET"',
  },
  {
    name: "an OPTGEOM block whose END is taken as the geometry END",
    text: edited(MGO, 9, 0, "OPTGEOM", "FULLOPTG"),
    line: 12,
    reason:
      'expected a keyword or END in the geometry block, got "12 3": the OPTGEOM block needs its own END',
  },
  {
    name: "an OPTGEOM block left open at the end of the input",
    text: deckText([...MGO.slice(0, 8), "OPTGEOM", "FULLOPTG"]),
    line: 11,
    reason: "expected END to close the OPTGEOM block opened on line 9, got the end of the input",
  },
  {
    name: "a missing final END",
    text: deckText(MGO.slice(0, 20)),
    line: 21,
    reason: "expected END to close the Hamiltonian block, got the end of the input",
  },
  {
    name: "a basis list without 99 0",
    text: edited(MGO, 17, 1),
    line: 17,
    reason: 'expected a basis set line "NAT NSHELL" or "99 0", got "END"',
  },
  {
    name: "a basis block without its END",
    text: edited(MGO, 18, 1),
    line: 18,
    reason: 'expected END to close the basis set block, got "SHRINK"',
  },
  {
    name: "a malformed shell line",
    text: edited(MGO, 11, 1, "1 0 three 2.0 1.0"),
    line: 11,
    reason: 'expected shell 1 of 3 of atom 12 as "ITYB LAT NG CHE SCAL", got "1 0 three 2.0 1.0"',
  },
  {
    name: "an ECP atom without a pseudopotential keyword",
    text: edited(MGO, 10, 1, "281 3"),
    line: 11,
    reason:
      "expected a pseudopotential keyword (INPUT, HAYWLC, HAYWSC, BARTHE, DURAND) for atom 281, " +
      'got "1 0 3 2.0 1.0"',
  },
  {
    name: "a DFT block left open",
    text: edited(WATER, 12, 1),
    line: 12,
    reason: 'expected END to close the DFT block opened on line 10, got "TOLDEE"',
  },
  {
    name: "TOLDEE without its value",
    text: edited(WATER, 14, 1),
    line: 14,
    reason: 'expected an integer after TOLDEE, got "END"',
  },
  {
    name: "TOLINTEG with three values",
    text: edited(WATER, 13, 2, "TOLINTEG", "7 7 7"),
    line: 14,
    reason: 'expected 5 integers after TOLINTEG, got "7 7 7"',
  },
  {
    name: "SHRINK 0 without IS1 IS2 IS3",
    text: edited(MGO, 20, 1, "0 8"),
    line: 21,
    reason: 'expected IS1 IS2 IS3 after SHRINK with IS 0, got "END"',
  },
  {
    name: "ATOMSPIN with fewer pairs than its count",
    text: edited(MGO, 21, 0, "ATOMSPIN", "2", "1 1"),
    line: 23,
    reason: 'expected 2 atom-spin pairs after ATOMSPIN 2, got "1 1"',
  },
  {
    name: "ATOMSPIN with a spin of 2",
    text: edited(MGO, 21, 0, "ATOMSPIN", "1", "1 2"),
    line: 23,
    reason:
      'expected ATOMSPIN pairs of an atom number (from 1) and a spin of 1, -1 or 0, got "1 2"',
  },
  {
    name: "BASISSET without a name",
    text: edited(WATER, 9, 1),
    line: 9,
    reason: 'expected a basis set name after BASISSET, got "DFT"',
  },
  {
    name: "keywords after the final END",
    text: deckText([...MGO, "SHRINK", "8 8"]),
    line: 22,
    reason: 'unexpected text after the final END: "SHRINK"',
  },
  {
    name: "a layer group out of range",
    text: deckText(["Slab", "SLAB", "81", "3.0", "1", "12 0.0 0.0 0.0", "END"]),
    line: 3,
    reason: 'expected a layer group number from 1 to 80, got "81"',
  },
];

for (const { name, text, line, reason } of MALFORMED_D12) {
  Deno.test(`parseDeck() rejects ${name} with its line and reason`, () => {
    assertRejects(parseDeck, text, line, reason);
  });
}

Deno.test("writeDeck() reproduces a deck in canonical layout line for line", () => {
  for (const lines of [MGO, WATER]) {
    assert.equal(writeDeck(parseDeck(deckText(lines))), deckText(lines));
  }
});

/** The lattice object a line of values gives when read as the named parameters. */
function named(names: string, values: string): Record<string, number> {
  const numbers = values.split(" ").map(Number);
  return Object.fromEntries(names.split(" ").map((name, i) => [name, numbers[i] ?? Number.NaN]));
}

Deno.test("parseDeck() reads the lattice parameters the space group's crystal system needs", () => {
  // [IFLAG IFHR IFSO, space group, lattice line, the parameters it must be read as]
  const cases = [
    ["0 0 0", "2", "5 6 7 80 85 95", "a b c alpha beta gamma"],
    ["0 0 0", "14", "7.1 9.2 11.6 97.4", "a b c beta"],
    ["0 0 0", "62", "5.4 7.6 5.5", "a b c"],
    ["0 0 0", "136", "4.59 2.96", "a c"],
    ["0 0 0", "167", "4.76 12.99", "a c"],
    ["0 1 0", "167", "5.13 55.3", "a alpha"],
    ["0 0 0", "194", "2.46 6.71", "a c"],
    ["0 0 0", "227", "5.43", "a"],
    ["1 0 0", "F M 3 M", "4.21", "a"],
    ["1 0 0", "P 1 21/C 1", "7.1 9.2 11.6 97.4", "a b c beta"],
    ["1 0 0", "P 1 1 2", "5 6 7 100", "a b c gamma"],
    ["1 0 0", "P 21/C", "7.1 9.2 11.6 97.4", "a b c beta"],
    ["1 0 0", "P N M A", "5.4 7.6 5.5", "a b c"],
    ["1 0 0", "P 42/M N M", "4.59 2.96", "a c"],
    ["1 1 0", "R -3 C", "5.13 55.3", "a alpha"],
    ["1 0 0", "P 63/M M C", "2.46 6.71", "a c"],
    ["1 0 0", "P -1", "5 6 7 80 85 95", "a b c alpha beta gamma"],
  ] as const;
  for (const [flags, group, lattice, names] of cases) {
    const text = deckText([
      "t",
      "CRYSTAL",
      flags,
      group,
      lattice,
      "1",
      "6 0 0 0",
      ...WATER.slice(7),
    ]);
    const { geometry } = parseDeck(text);
    assert.ok(geometry.kind === "CRYSTAL");
    assert.deepEqual(geometry.lattice, named(names, lattice), `${group} (${flags})`);
    assert.equal(geometry.space_group, flags.startsWith("1") ? group : Number(group));
  }
});

Deno.test("parseDeck() reads SLAB and POLYMER decks with the cell their group needs", () => {
  // [geometry keyword, group, lattice line, the parameters it must be read as]
  const cases = [
    ["SLAB", "1", "3.1 4.2 95", "a b gamma"],
    ["SLAB", "25", "3.1 4.2", "a b"],
    ["SLAB", "64", "2.98", "a"],
    ["SLAB", "80", "2.46", "a"],
    ["POLYMER", "4", "2.55", "a"],
  ] as const;
  for (const [kind, group, lattice, names] of cases) {
    const deck = parseDeck(
      deckText(["t", kind, group, lattice, "1", "6 0 0 0", ...WATER.slice(7)]),
    );
    assert.deepEqual(deck.geometry, {
      kind,
      [kind === "SLAB" ? "layer_group" : "rod_group"]: Number(group),
      lattice: named(names, lattice),
      atoms: [{ atomic_number: 6, x: 0, y: 0, z: 0 }],
    });
    assert.deepEqual(parseDeck(writeDeck(deck)), deck);
  }
});

Deno.test("parseDeck() reads the origin shift line that follows IFSO > 1", () => {
  const deck = parseDeck(edited(MGO, 3, 1, "0 0 2", "3 3 3"));
  assert.ok(deck.geometry.kind === "CRYSTAL");
  assert.deepEqual(deck.geometry.origin_shift, [3, 3, 3]);
  assert.deepEqual(parseDeck(writeDeck(deck)), deck);
});

Deno.test("parseDeck() tolerates comments, blank lines, CRLF, case and trailing text", () => {
  const text = [
    "MgO  ",
    "# bulk rock salt",
    "crystal",
    "",
    "0 0 0",
    "225",
    "4.21D0",
    "2",
    "12 0.0 0.0 0.0 Biso 1.0 Mg",
    "8 0.5 0.5 0.5",
    ...MGO.slice(8, 18),
    "MAXCYCLE   ",
    "80",
    "End",
  ].join("\r\n");
  const deck = parseDeck(text);
  assert.equal(deck.title, "MgO");
  assert.deepEqual(deck.geometry, {
    kind: "CRYSTAL",
    flags: { iflag: 0, ifhr: 0, ifso: 0 },
    origin_shift: null,
    space_group: 225,
    lattice: { a: 4.21 },
    atoms: [{ atomic_number: 12, x: 0, y: 0, z: 0 }, { atomic_number: 8, x: 0.5, y: 0.5, z: 0.5 }],
  });
  assert.deepEqual(deck.hamiltonian, [{ keyword: "MAXCYCLE", args: ["80"] }]);
  assert.equal(deck.max_scf_cycles, 80);
  assert.equal(deck.terminators.hamiltonian, "End");
});

Deno.test("parseDeck() reads BASISSET placed after the geometry END", () => {
  const deck = parseDeck(edited(WATER, 8, 0, "END"));
  assert.deepEqual(deck.basis, { kind: "builtin", name: "STO-3G" });
  assert.deepEqual(deck.terminators, { geometry: "END", basis: null, hamiltonian: "END" });
  assert.equal(writeDeck(deck), edited(WATER, 8, 0, "END"));
});

Deno.test("parseDeck() reads an ECP atom with INPUT pseudopotential terms", () => {
  const text = edited(
    MGO,
    10,
    4,
    "212 2",
    "INPUT",
    "10. 1 0 1 0 0 0",
    "1.0 2.0 -1",
    "3.0 4.0 0",
    "0 0 1 2.0 1.0",
    "0.5 1.0",
    "1 1 3 8.0 1.0",
  );
  const deck = parseDeck(text);
  assert.ok(deck.basis.kind === "explicit");
  assert.deepEqual(deck.basis.atoms[0], {
    atomic_number: 212,
    ecp: ["INPUT", "10. 1 0 1 0 0 0", "1.0 2.0 -1", "3.0 4.0 0"],
    shells: [
      {
        basis_type: 0,
        shell_type: 0,
        primitive_count: 1,
        charge: 2,
        scale: 1,
        primitives: ["0.5 1.0"],
      },
      { basis_type: 1, shell_type: 1, primitive_count: 3, charge: 8, scale: 1, primitives: [] },
    ],
  });
  assert.deepEqual(parseDeck(writeDeck(deck)), deck);
});

Deno.test("parseDeck() gives null cycle limits when MAXCYCLE is absent", () => {
  const deck = parseDeck(edited(WATER, 8, 0, "OPTGEOM", "FULLOPTG", "ENDOPT"));
  assert.deepEqual(
    { max: deck.max_scf_cycles, optgeom: deck.optgeom, freqcalc: deck.freqcalc },
    { max: null, optgeom: { max_cycles: null }, freqcalc: false },
  );
});

Deno.test("validateDeck() returns the deck or the line and reason", () => {
  const ok = validateDeck(deckText(WATER));
  assert.ok(ok.ok);
  assert.equal(ok.deck.title, "Water");
  assert.deepEqual(validateDeck(edited(MGO, 4, 1, "abc")), {
    ok: false,
    line: 4,
    reason: 'expected a space group number, got "abc"',
    message: 'Line 4: expected a space group number, got "abc"',
  });
});

Deno.test("DeckSyntaxError is a SyntaxError with its line and reason", () => {
  const error = new DeckSyntaxError(4, 'expected a space group number, got "abc"');
  assert.ok(error instanceof SyntaxError);
  assert.equal(error.name, "DeckSyntaxError");
  assert.equal(error.message, 'Line 4: expected a space group number, got "abc"');
});

Deno.test("findKeyword() returns the last occurrence, ignoring case", () => {
  const keywords = [
    { keyword: "MAXCYCLE", args: ["50"] },
    { keyword: "SHRINK", args: ["8 8"] },
    { keyword: "maxcycle", args: ["200"] },
  ];
  assert.deepEqual(findKeyword(keywords, "MaxCycle"), { keyword: "maxcycle", args: ["200"] });
  assert.equal(findKeyword(keywords, "TOLDEE"), undefined);
});

const BAND_D3 = ["BAND", "MgO bands", "2 4 100 1 10 1 0", "0 0 0 2 0 0", "2 0 0 2 2 2", "END"];
const MALFORMED_D3: { name: string; text: string; line: number; reason: string }[] = [
  { name: "empty input", text: "", line: 1, reason: "the properties deck is empty" },
  {
    name: "an unknown keyword",
    text: "BANDS\nEND\n",
    line: 1,
    reason: 'unknown properties keyword "BANDS"',
  },
  {
    name: "numbers before any keyword",
    text: "12 24\nEND\n",
    line: 1,
    reason: 'expected a properties keyword, got "12 24"',
  },
  {
    name: "a missing END",
    text: "NEWK\n12 24\n1 0\n",
    line: 4,
    reason: "expected END to close the properties deck, got the end of the input",
  },
  {
    name: "a short BAND header",
    text: edited(BAND_D3, 3, 1, "2 4 100"),
    line: 3,
    reason: 'expected NLINE ISS NSUB INZB IFNB IPLO LPR after BAND, got "2 4 100"',
  },
  {
    name: "a BAND path with fewer segments than NLINE",
    text: edited(BAND_D3, 5, 1),
    line: 5,
    reason: 'expected BAND segment 2 of 2 as 6 integers, got "END"',
  },
  {
    name: "ECHG map options without their END",
    text:
      "ECHG\n0\n65\nCOORDINA\n0 0 0\n1 0 0\n1 1 0\nMARGINS\n1 1 1 1\nDOSS\n0 100 1 4 1 12 0\nEND\n",
    line: 10,
    reason: 'expected END to close the map options of ECHG on line 1, got "DOSS"',
  },
];

for (const { name, text, line, reason } of MALFORMED_D3) {
  Deno.test(`parsePropertiesDeck() rejects ${name} with its line and reason`, () => {
    assertRejects(parsePropertiesDeck, text, line, reason);
  });
}

Deno.test("parsePropertiesDeck() reads symbolic BAND labels and ignores text after END", () => {
  const text = "BAND\nNa2O\n2 0 60 1 18 2 1\nG X\nX W\nPPAN\nEND\nNOT A KEYWORD\n";
  assert.deepEqual(parsePropertiesDeck(text), { keywords: ["BAND", "PPAN"] });
});
