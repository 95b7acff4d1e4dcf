/**
 * Band ranges of a properties deck given relative to the valence band of the SCF it reads, so a
 * properties job can be queued before that SCF has run (after it, by afterok): `@VB-49@` and
 * `@VB+50@` in a BAND or DOSS line stand for band c − 49 and c + 50, where c = ⌈N/2⌉ for the
 * `N. OF ELECTRONS PER CELL` the SCF output prints, each kept within 1 and its `NUMBER OF AO`.
 *
 * The rule is written twice, side by side here: in TypeScript for a job whose SCF output the
 * daemon holds, and in awk for the run script of a job whose SCF ran on the same host
 * (tests/server/crystal/band_window_test.ts checks they agree). Pure.
 *
 * @module
 */
import { electronicLevels } from "./electronic_levels.ts";

const TOKEN = /@VB([+-]\d+)@/g;

/** The token for the band `offset` from the valence band the SCF output gives. */
export function bandToken(offset: number): string {
  return `@VB${offset < 0 ? "-" : "+"}${Math.abs(offset)}@`;
}

/** Whether one word is a band token. */
export function isBandToken(word: string): boolean {
  return new RegExp(`^${TOKEN.source}$`).test(word);
}

/** Whether a deck has band tokens. */
export function hasBandTokens(text: string | null): boolean {
  return text !== null && new RegExp(TOKEN.source).test(text);
}

/** What the SCF output says, for the rule. */
export interface BandCount {
  ao_count: number;
  electrons_per_cell: number;
}

/** Why an SCF output cannot place the bands. */
export class BandWindowError extends Error {
  override name = "BandWindowError";
}

/**
 * The AO and electron counts of an SCF output.
 * @throws {BandWindowError} when it prints either not
 */
export function bandCountOf(output: string): BandCount {
  const levels = electronicLevels(output);
  if (levels.ao_count === null || levels.electrons_per_cell === null) {
    throw new BandWindowError(
      "its output prints no NUMBER OF AO or N. OF ELECTRONS PER CELL to place the bands by",
    );
  }
  return { ao_count: levels.ao_count, electrons_per_cell: levels.electrons_per_cell };
}

/** The band `offset` from the valence band, within 1 and the AO count. */
export function bandAt(offset: number, count: BandCount): number {
  const centre = Math.ceil(count.electrons_per_cell / 2);
  return Math.min(count.ao_count, Math.max(1, centre + offset));
}

/** The deck with its tokens replaced by band numbers. */
export function resolveBandTokens(text: string, count: BandCount): string {
  return text.replace(TOKEN, (_, offset: string) => String(bandAt(Number(offset), count)));
}

/**
 * The same rule in awk, for a run script: reads the SCF output `$1` (its first NUMBER OF AO and
 * N. OF ELECTRONS PER CELL lines) and prints the deck `$2` with its tokens replaced; exits 3 when
 * the output prints neither. Fixed text: the files come as arguments.
 */
export const BAND_TOKENS_AWK = "FNR == NR { " +
  'if ($1 == "NUMBER" && $2 == "OF" && $3 == "AO" && nao == "") nao = $4; ' +
  'if ($1 == "N." && $3 == "ELECTRONS" && $5 == "CELL" && nel == "") nel = $6; next } ' +
  'nao == "" || nel == "" { exit 3 } ' +
  '{ c = int((nel + 1) / 2); out = ""; while (match($0, /@VB[-+][0-9]+@/)) { ' +
  "v = c + substr($0, RSTART + 3, RLENGTH - 4); if (v < 1) v = 1; if (v > nao + 0) v = nao; " +
  "out = out substr($0, 1, RSTART - 1) v; $0 = substr($0, RSTART + RLENGTH) } print out $0 }";
