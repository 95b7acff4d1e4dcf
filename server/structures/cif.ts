/**
 * A CIF 1.1 reader for crystal structures: data blocks, `loop_`, quoted values and semicolon text
 * fields, `#` comments, esds (`5.38(2)` is 5.38), `?` and `.` as missing. The asymmetric unit is
 * expanded by the symmetry operations (`_space_group_symop_operation_xyz`, else the older
 * `_symmetry_equiv_pos_as_xyz`) into the whole cell. Tag names are compared case-insensitively,
 * with the DDL2 spelling (`_space_group_symop.operation_xyz`) read as the DDL1 one.
 *
 * The lattice follows the standard orientation: a along x, b in the xy plane, c completing a
 * right-handed set, so c = (c cos β, c (cos α − cos β cos γ) / sin γ, c_z). Pure: no I/O.
 *
 * @module
 */
import { elementFromLabel, elementFromSymbol } from "./elements.ts";
import type { Lattice, Site, Structure, Vec3 } from "./structure.ts";
import { periodicDistance, wrapFractional } from "./structure.ts";

/** Options for {@link parseCif}. */
export interface CifOptions {
  /** The data block to read, by its name after `data_` (any case). The first block if absent. */
  block?: string;
  /** Sites of one element closer than this (Å, across periodic images) are one site. 0.01. */
  dedupTolerance?: number;
}

/** A CIF that cannot be read; `line` is the 1-based line the problem is on. */
export class CifSyntaxError extends SyntaxError {
  override name = "CifSyntaxError";
  /** The line the problem is on. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`CIF line ${line}: ${message}`);
    this.line = line;
  }
}

type Kind = "tag" | "value" | "loop" | "data";
type Token = { kind: Kind; text: string; line: number; isQuoted: boolean };
type Loop = { tags: string[]; rows: Token[][] };
type Block = { name: string; line: number; items: Map<string, Token>; loops: Loop[] };
type SymOp = { rotation: Vec3[]; translation: Vec3 };

// A quote closes a value only where whitespace follows it (CIF 1.1): 'a dog's life' is one value.
const WORD = /(#.*)|'(.*?)'(?=\s|$)|"(.*?)"(?=\s|$)|(\S+)/g;
const NUMBER = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:\(\d+\))?$/;
const SYMOP_TERM = /([+-]?)(\d+(?:\.\d*)?(?:\/\d+)?|\.\d+)?(\*?)([xyz]?)/y;
const SYMOP_TAGS = ["_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"];
const GROUP_TAGS = ["_space_group_name_h-m_alt", "_symmetry_space_group_name_h-m"];
const TITLE_TAGS = ["_chemical_formula_sum", "_chemical_name_common", "_chemical_name_mineral"];
const SITE_TAGS = ["label", "type_symbol", "fract_x", "fract_y", "fract_z", "occupancy"];

/**
 * Reads one data block of a CIF (the first, or `options.block`) into the whole cell.
 *
 * @throws {CifSyntaxError} when the text is not CIF, or lacks the cell or the atom sites.
 * @throws {RangeError} when `options.block` names no block, or the tolerance is not positive.
 */
export function parseCif(text: string, options: CifOptions = {}): Structure {
  const tolerance = options.dedupTolerance ?? 0.01;
  if (!(tolerance > 0)) throw new RangeError(`Cannot use dedupTolerance "${tolerance}": not > 0`);
  const blocks = parseBlocks(tokenize(text));
  const wanted = options.block?.toLowerCase();
  const block = blocks.find((b) => wanted === undefined || b.name.toLowerCase() === wanted);
  if (block === undefined) {
    if (blocks.length === 0) fail(1, 'expected a data block ("data_name")');
    const names = blocks.map((b) => `"${b.name}"`).join(", ");
    throw new RangeError(`Cannot read CIF data block "${options.block}": the file has ${names}`);
  }
  const lattice = latticeOf(block);
  const warnings: string[] = [];
  const ops = symmetryOperations(block, warnings);
  const asymmetric = atomSites(block);
  const partial = asymmetric.filter((s) => s.site.occupancy < 1 - 1e-6).map((s) => `"${s.name}"`);
  if (partial.length > 0) {
    warnings.push(`Sites ${partial.join(", ")} are partly occupied: the structure is disordered`);
  }
  const sites: Site[] = [];
  for (const { site } of asymmetric) {
    const [u, v, w] = site.frac;
    for (const { rotation: m, translation: t } of ops) {
      const frac = wrapFractional(m.map((r, i) => r[0] * u + r[1] * v + r[2] * w + t[i]!));
      const isDuplicate = sites.some((s) =>
        s.element === site.element && s.occupancy === site.occupancy &&
        periodicDistance(lattice, s.frac, frac) < tolerance
      );
      if (!isDuplicate) sites.push({ ...site, frac });
    }
  }
  const title = TITLE_TAGS.map((tag) => given(block.items.get(tag))).find((t) => t !== undefined)
    ?.text.trim() ?? block.name;
  const problems: Structure["problems"] = partial.length > 0 ? ["disorder"] : [];
  return { lattice, sites, source: "cif", title, problems, warnings };
}

function fail(line: number, message: string): never {
  throw new CifSyntaxError(line, message);
}

function token(kind: Kind, text: string, line: number, isQuoted = false): Token {
  return { kind, text, line, isQuoted };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith(";")) {
      scanLine(line, i + 1, tokens);
      continue;
    }
    // A text field runs from a line starting with ";" to the next such line.
    const body = line.length > 1 ? [line.slice(1)] : [];
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(";")) body.push(lines[end++]!);
    if (end === lines.length) fail(i + 1, 'expected a line starting with ";" to end this field');
    tokens.push(token("value", body.join("\n"), i + 1, true));
    scanLine(lines[end]!.slice(1), end + 1, tokens);
    i = end;
  }
  return tokens;
}

function scanLine(line: string, n: number, tokens: Token[]): void {
  for (const [, comment, single, double, word] of line.matchAll(WORD)) {
    if (comment !== undefined) return;
    const quoted = single ?? double;
    if (quoted !== undefined) tokens.push(token("value", quoted, n, true));
    else if (/^['"]/.test(word!)) fail(n, `expected a closing ${word![0]} after ${word}`);
    else tokens.push(classify(word!, n));
  }
}

function classify(word: string, line: number): Token {
  const lower = word.toLowerCase();
  if (lower.startsWith("_")) return token("tag", lower.replace(".", "_"), line);
  if (lower === "loop_") return token("loop", lower, line);
  if (lower.startsWith("data_")) return token("data", word.slice(5), line);
  if (/^(save|global|stop)_/.test(lower)) fail(line, `expected a tag or loop_, found "${word}"`);
  return token("value", word, line);
}

function parseBlocks(tokens: Token[]): Block[] {
  const blocks: Block[] = [];
  let block: Block | undefined;
  let i = 0;
  while (i < tokens.length) {
    const { kind, text, line } = tokens[i++]!;
    if (kind === "data") {
      block = { name: text, line, items: new Map(), loops: [] };
      blocks.push(block);
    } else if (block === undefined) {
      fail(line, `expected "data_" before "${text}"`);
    } else if (kind === "tag") {
      const value = tokens[i++];
      if (value?.kind !== "value") fail(line, `expected a value for ${text}`);
      block.items.set(text, value);
    } else if (kind === "loop") {
      const tags: string[] = [];
      while (tokens[i]?.kind === "tag") tags.push(tokens[i++]!.text);
      if (tags.length === 0) fail(line, "expected tags after loop_");
      const values: Token[] = [];
      while (tokens[i]?.kind === "value") values.push(tokens[i++]!);
      const n = tags.length;
      if (values.length % n !== 0) {
        fail(line, `expected rows of ${n} in this loop, found ${values.length} values`);
      }
      const rows = [...Array(values.length / n).keys()].map((r) => values.slice(r * n, r * n + n));
      block.loops.push({ tags, rows });
    } else {
      fail(line, `expected a tag or loop_, found the value "${text}"`);
    }
  }
  return blocks;
}

/** The token, unless it is absent or a bare `?` or `.` (unknown, inapplicable). */
function given(t: Token | undefined): Token | undefined {
  return t === undefined || !t.isQuoted && (t.text === "?" || t.text === ".") ? undefined : t;
}

/** The number a token holds, esd dropped; undefined when missing. */
function numberOf(t: Token, tag: string): number | undefined {
  if (given(t) === undefined) return undefined;
  return Number(
    (NUMBER.exec(t.text.trim()) ?? fail(t.line, `expected a number for ${tag}, found "${t.text}"`))[
      1
    ],
  );
}

function latticeOf(block: Block): Lattice {
  const value = (tag: string) => {
    const t = block.items.get(tag) ?? fail(block.line, `expected ${tag} in block "${block.name}"`);
    return numberOf(t, tag) ?? fail(t.line, `expected a value for ${tag}`);
  };
  const [a, b, c] = ["a", "b", "c"].map((x) => value(`_cell_length_${x}`)) as Vec3;
  const angles = ["alpha", "beta", "gamma"].map((x) => value(`_cell_angle_${x}`)) as Vec3;
  // cos 90° is 6e-17 in floating point; written as 0 it keeps orthogonal cells exact.
  const [ca, cb, cg] = angles.map((d) => Math.cos((d * Math.PI) / 180))
    .map((v) => Math.abs(v) < 1e-12 ? 0 : v) as Vec3;
  const sg = Math.sin((angles[2] * Math.PI) / 180);
  const [cx, cy] = [c * cb, (c * (ca - cb * cg)) / sg];
  const cz2 = c * c - cx * cx - cy * cy;
  if (!(a > 0 && b > 0 && c > 0 && sg > 0 && cz2 > 0)) {
    const cell = [a, b, c, ...angles].join(" ");
    fail(block.items.get("_cell_length_a")!.line, `expected a possible cell, found ${cell}`);
  }
  return [[a, 0, 0], [b * cg, b * sg, 0], [cx, cy, Math.sqrt(cz2)]];
}

/** The rows of the loop holding `tag`, or the block's single items as one row. */
function table(block: Block, tag: string): Loop | undefined {
  const loop = block.loops.find((l) => l.tags.includes(tag));
  if (loop !== undefined || !block.items.has(tag)) return loop;
  return { tags: [...block.items.keys()], rows: [[...block.items.values()]] };
}

function symmetryOperations(block: Block, warnings: string[]): SymOp[] {
  for (const tag of SYMOP_TAGS) {
    const loop = table(block, tag);
    if (loop !== undefined) return loop.rows.map((row) => parseSymop(row[loop.tags.indexOf(tag)]!));
  }
  const group = GROUP_TAGS.map((tag) => given(block.items.get(tag))).find((t) => t !== undefined);
  if (group !== undefined && group.text.replace(/\s+/g, "") !== "P1") {
    warnings.push(`No symmetry operations are given for "${group.text}": the sites are read as P1`);
  }
  return [{ rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], translation: [0, 0, 0] }];
}

/** A Jones-faithful operation such as `-x+1/2,y,-z+1/2` or `x-y,x,z+1/6`. */
function parseSymop(t: Token): SymOp {
  const bad = () => fail(t.line, `expected an operation like "-x,y+1/2,z", found "${t.text}"`);
  const parts = t.text.toLowerCase().replace(/\s+/g, "").split(",");
  if (parts.length !== 3) bad();
  const translation: Vec3 = [0, 0, 0];
  const rotation = parts.map((part, axis) => {
    const row: Vec3 = [0, 0, 0];
    for (let p = 0; p < part.length; p = SYMOP_TERM.lastIndex) {
      SYMOP_TERM.lastIndex = p;
      const [, sign, number, star, variable] = SYMOP_TERM.exec(part) ?? bad();
      // Each term needs a number or a variable, and every term but the first a sign.
      if (number === undefined && variable === "" || p > 0 && sign === "") bad();
      if (star === "*" && (number === undefined || variable === "")) bad();
      const [numerator, denominator = "1"] = (number ?? "1").split("/");
      const value = (sign === "-" ? -1 : 1) * Number(numerator) / Number(denominator);
      if (!Number.isFinite(value)) bad();
      if (variable === "") translation[axis] = translation[axis]! + value;
      else row["xyz".indexOf(variable!)] = row["xyz".indexOf(variable!)]! + value;
    }
    return row;
  });
  return { rotation, translation };
}

/** Whether two points are within `tolerance` Å, over the nearest periodic images. */
/** The asymmetric unit, each site with the name warnings use for it. */
function atomSites(block: Block): { site: Site; name: string }[] {
  const loop = table(block, "_atom_site_fract_x");
  if (loop === undefined) {
    const isCartesian = table(block, "_atom_site_cartn_x") !== undefined;
    fail(block.line, `expected _atom_site_fract_x${isCartesian ? " (not _Cartn_x)" : ""} sites`);
  }
  const [label, type, x, y, z, occupancy] = SITE_TAGS.map((t) =>
    loop.tags.indexOf(`_atom_site_${t}`)
  );
  if (y! < 0 || z! < 0) fail(block.line, "expected _atom_site_fract_y and _atom_site_fract_z");
  if (loop.rows.length === 0) fail(block.line, "expected at least one atom site");
  return loop.rows.map((row, index) => {
    const labelToken = given(row[label!]);
    const typeToken = given(row[type!]);
    const name = labelToken?.text ?? `site ${index + 1}`;
    const element = typeToken !== undefined
      ? elementFromSymbol(typeToken.text)
      : labelToken && elementFromLabel(labelToken.text);
    if (element === undefined) {
      const found = typeToken ?? labelToken;
      fail(row[0]!.line, `expected an element for site "${name}", found "${found?.text ?? ""}"`);
    }
    const frac = [x!, y!, z!].map((c) =>
      numberOf(row[c]!, loop.tags[c]!) ??
        fail(row[c]!.line, `expected a value for ${loop.tags[c]} of site "${name}"`)
    ) as Vec3;
    const share = occupancy! < 0 ? 1 : numberOf(row[occupancy!]!, "_atom_site_occupancy") ?? 1;
    const site: Site = { element, frac, occupancy: share };
    if (labelToken !== undefined) site.label = labelToken.text;
    return { site, name };
  });
}
