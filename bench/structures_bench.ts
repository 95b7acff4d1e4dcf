/**
 * Symmetry plus deck generation for a 200-atom cell (a 5×5×1 rock-salt supercell written as a P1
 * CIF), against reading the CIF alone, interleaved, medians of many runs.
 *
 * @module
 */
import { parseCif } from "../server/structures/cif.ts";
import { generateDeck } from "../server/structures/generate_deck.ts";

// deno-lint-ignore no-console
const say = console.log;
const RUNS = Deno.env.get("BENCH_QUICK") === "1" ? 10 : 50;
const A = 4.21;
const [NA, NB] = [5, 5];

/** The P1 CIF of rock salt repeated NA × NB × 1 times: 8 × NA × NB atoms. */
export function supercellCif(): string {
  const fcc = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const rows: string[] = [];
  for (let i = 0; i < NA; i++) {
    for (let j = 0; j < NB; j++) {
      for (const [element, shift] of [["Mg", 0], ["O", 0.5]] as const) {
        for (const f of fcc) {
          const frac = [
            (i + ((f[0]! + shift) % 1)) / NA,
            (j + ((f[1]! + shift) % 1)) / NB,
            (f[2]! + shift) % 1,
          ];
          rows.push(
            `${element}${rows.length + 1} ${element} ${frac.map((x) => x.toFixed(6)).join(" ")}`,
          );
        }
      }
    }
  }
  return [
    "data_supercell",
    `_cell_length_a ${A * NA}`,
    `_cell_length_b ${A * NB}`,
    `_cell_length_c ${A}`,
    "_cell_angle_alpha 90",
    "_cell_angle_beta 90",
    "_cell_angle_gamma 90",
    "_symmetry_space_group_name_H-M 'P 1'",
    "loop_",
    "_atom_site_label",
    "_atom_site_type_symbol",
    "_atom_site_fract_x",
    "_atom_site_fract_y",
    "_atom_site_fract_z",
    ...rows,
    "",
  ].join("\n");
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Runs the structures section. */
export async function benchStructures(): Promise<void> {
  const cif = supercellCif();
  const first = await generateDeck(parseCif(cif)); // Warms moyo's wasm and checks the answer.
  if (first.space_group.number !== 225 || first.asymmetric_unit.length !== 2) {
    throw new Error(`the supercell came out as group ${first.space_group.number}`);
  }
  const read: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    parseCif(cif);
    read.push(performance.now() - t);
    t = performance.now();
    await generateDeck(parseCif(cif));
    full.push(performance.now() - t);
  }
  const [r, f] = [median(read), median(full)];
  say(
    `200-atom CIF to a deck (symmetry, round trip, writing): ${f.toFixed(2)} ms vs reading the ` +
      `CIF alone ${r.toFixed(2)} ms: ${(f / r).toFixed(1)}×`,
  );
}
