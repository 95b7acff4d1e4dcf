/**
 * Chemical formulas in OPTIMADE's reduced form: element symbols in alphabetical order, counts
 * divided by their greatest common divisor, a count of 1 left out (`"Fe2O3"`, `"MgO"`). Pure.
 *
 * @module
 */
import { atomicNumber } from "../structures/elements.ts";

/** A formula that is not element symbols with counts. */
export class FormulaError extends Error {
  override name = "FormulaError";
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The element counts of a formula such as `"Fe2O3"` or `"O3Fe2"` (no parentheses or hydrates).
 * @throws {FormulaError} naming the first thing that is not an element with a count
 */
export function parseFormula(formula: string): Map<string, number> {
  const counts = new Map<string, number>();
  const term = /([A-Z][a-z]?)(\d*)/y;
  let at = 0;
  while (at < formula.length) {
    term.lastIndex = at;
    const match = term.exec(formula);
    if (match === null || match[0] === "") {
      throw new FormulaError(
        `Cannot read formula "${formula}": expected an element symbol at "${formula.slice(at)}"`,
      );
    }
    const [, symbol, digits] = match;
    if (atomicNumber(symbol!) === undefined) {
      throw new FormulaError(`Cannot read formula "${formula}": "${symbol}" is not an element`);
    }
    const count = digits === "" ? 1 : Number(digits);
    if (count < 1 || count > 10_000) {
      throw new FormulaError(`Cannot read formula "${formula}": count ${digits} of ${symbol}`);
    }
    counts.set(symbol!, (counts.get(symbol!) ?? 0) + count);
    at = term.lastIndex;
  }
  if (counts.size === 0) throw new FormulaError("Cannot read formula: it is empty");
  return counts;
}

/** The reduced formula of `formula`, as OPTIMADE's `chemical_formula_reduced` writes it. */
export function reducedFormula(formula: string): string {
  const counts = parseFormula(formula);
  const divisor = [...counts.values()].reduce(gcd);
  return [...counts.keys()].sort().map((symbol) => {
    const n = counts.get(symbol)! / divisor;
    return n === 1 ? symbol : `${symbol}${n}`;
  }).join("");
}
