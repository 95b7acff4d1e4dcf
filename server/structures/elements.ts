/**
 * The 118 element symbols, in order of atomic number, and reading an element out of the symbols
 * and labels that structure files carry ("Fe3+", "O2A", "Fe_pv"). Pure: no I/O.
 *
 * @module
 */

// deno-fmt-ignore: the table keeps its rows by period
/** Every element symbol, indexed by atomic number − 1 (`ELEMENTS[25]` is "Fe", Z = 26). */
export const ELEMENTS: readonly string[] = Object.freeze([
  // 1–18
  "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
  // 19–36
  "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se",
  "Br", "Kr",
  // 37–54
  "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te",
  "I", "Xe",
  // 55–86
  "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
  "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn",
  // 87–118
  "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No",
  "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
]);

const NUMBERS: ReadonlyMap<string, number> = new Map(ELEMENTS.map((symbol, i) => [symbol, i + 1]));

/** The atomic number of an element symbol, exactly capitalised ("Fe"), or undefined. */
export function atomicNumber(symbol: string): number | undefined {
  return NUMBERS.get(symbol);
}

/**
 * The element a symbol or site label starts with, or undefined. Only the leading letters count
 * (`O2-` → O, `Fe3+` → Fe, `O2A` → O, `Fe_pv` → Fe); a two-letter symbol wins where the first two
 * letters make one (`Cl1` → Cl, `FE1` → Fe), else the first letter alone (`C1` → C, `OA1` → O).
 * Labels whose first two letters happen to be an element (`CA1` read as Ca) cannot be told apart
 * from it, which is why a CIF's `_atom_site_type_symbol` is preferred over its label.
 */
export function elementFromLabel(text: string): string | undefined {
  const letters = /^[A-Za-z]+/.exec(text.trim())?.[0];
  if (letters === undefined) return undefined;
  const two = letters.slice(0, 2);
  const asTwo = two.length === 2 ? two[0]!.toUpperCase() + two[1]!.toLowerCase() : undefined;
  if (asTwo !== undefined && NUMBERS.has(asTwo)) return asTwo;
  const one = letters[0]!.toUpperCase();
  return NUMBERS.has(one) ? one : undefined;
}

/**
 * The element a chemical symbol names, ignoring case and a charge or suffix after it (`O2-` → O,
 * `Fe3+` → Fe, `FE` → Fe, `Fe_pv` → Fe), or undefined. Unlike {@link elementFromLabel}, all the
 * leading letters must make the symbol: `Sx` is no element.
 */
export function elementFromSymbol(text: string): string | undefined {
  const letters = /^[A-Za-z]{1,2}(?![A-Za-z])/.exec(text.trim())?.[0];
  if (letters === undefined) return undefined;
  const symbol = letters[0]!.toUpperCase() + letters.slice(1).toLowerCase();
  return NUMBERS.has(symbol) ? symbol : undefined;
}
