/**
 * Collectors for the CRYSTAL output parser: error and warning messages, the harmonic frequency
 * table and the final optimised geometry. Each takes lines the parser has dispatched.
 *
 * @module
 */
import { toNumber, trailingInteger } from "./_output_markers.ts";
import type {
  CrystalError,
  CrystalWarning,
  FinalGeometry,
  FrequencyMode,
  GeometryAtom,
} from "./output_parser.ts";

const ROUTINE_LINE = /^\s*(?:ERROR|WARNING)\s*\*+\s*(.*?)\s*\*+\s*(.*?)\s*$/;
const FREQUENCY_ROW =
  /^\s*(\d+)-\s*(\d+)\s+(\S+)\s+(-?\d+\.\d+)\s+-?\d+\.\d+\s*(?:\(\s*([^)]*?)\s*\))?\s*([AI])?\s*(?:\(\s*(-?\d+(?:\.\d*)?)\s*\))?\s*([AI])?\s*$/;
const ATOM_ROW = /^\s*\d+\s+([TF])\s+(\d+)\s+([A-Za-z]{1,2})\s+(\S+)\s+(\S+)\s+(\S+)\s*$/;
const SPACES = /\s+/g;
const WARNING_CAP = 50;
const ERROR_CAP = 100;
const WARNING_BOX_MAX_LINES = 8;

function collapse(text: string): string {
  return text.replace(SPACES, " ").trim();
}

/** Collects `ERROR ****` lines and warnings, deduplicated (every MPI rank may print them) and capped. */
export interface MessageLog {
  /** Reads an `ERROR **** ROUTINE **** message` line; false if it is not one. */
  error(line: string, lineNo: number): boolean;
  /** Reads a line starting with WARNING; a `WARNINGWARNING...` box opens, see {@link MessageLog.boxLine}. */
  warning(line: string, at: number, lineNo: number): void;
  isInBox(): boolean;
  /** Feeds a line inside a `WARNINGWARNING` box; the box becomes one warning. */
  boxLine(line: string, at: number): void;
  errors(): CrystalError[];
  warnings(): CrystalWarning[];
}

/** Creates a {@link MessageLog}. */
export function createMessageLog(): MessageLog {
  const errors: CrystalError[] = [];
  const errorKeys = new Set<string>();
  const warnings: CrystalWarning[] = [];
  const warningKeys = new Set<string>();
  let box: string[] | null = null;
  let boxStart = 0;

  function addWarning(message: string, line: number): void {
    if (message === "" || warningKeys.has(message) || warnings.length >= WARNING_CAP) return;
    warningKeys.add(message);
    warnings.push({ message, line });
  }

  return {
    error(line, lineNo) {
      const m = ROUTINE_LINE.exec(line);
      if (!m) return false;
      const [routine, message] = [m[1]!, collapse(m[2]!)];
      const key = `${routine}\u0000${message}`;
      if (!errorKeys.has(key) && errors.length < ERROR_CAP) {
        errorKeys.add(key);
        errors.push({ routine, message, line: lineNo });
      }
      return true;
    },
    warning(line, at, lineNo) {
      if (line.startsWith("WARNINGWARNING", at)) {
        box = [];
        boxStart = lineNo;
        return;
      }
      const m = ROUTINE_LINE.exec(line);
      const text = m
        ? [m[1]!, collapse(m[2]!)].filter((part) => part !== "").join(": ")
        : collapse(line.slice(at + 7).replace(/^[\s!:.-]+/, ""));
      addWarning(text, lineNo);
    },
    isInBox: () => box !== null,
    boxLine(line, at) {
      if (box === null || at < 0) return;
      const isClosing = line.startsWith("WARNINGWARNING", at);
      if (!isClosing) box.push(collapse(line));
      if (isClosing || box.length >= WARNING_BOX_MAX_LINES) {
        addWarning(box.join("; "), boxStart);
        box = null;
      }
    },
    errors: () => errors.map((error) => ({ ...error })),
    warnings: () => warnings.map((warning) => ({ ...warning })),
  };
}

/** The rows of the last harmonic (TO) frequency table: `4- 6 0.1156E-06 74.6367 2.2376 (Fu ) A ( 2.07) I`. */
export interface FrequencyTable {
  /** Starts a new table at its `MODES EIGV FREQUENCIES ...` header. */
  start(): void;
  isOpen(): boolean;
  /** Reads a line while the table is open; false (and the table closes) at its first non-row line. */
  push(line: string, at: number): boolean;
  modes(): FrequencyMode[];
}

/** Creates a {@link FrequencyTable}. */
export function createFrequencyTable(): FrequencyTable {
  let modes: FrequencyMode[] = [];
  let isOpen = false;
  return {
    start() {
      modes = [];
      isOpen = true;
    },
    isOpen: () => isOpen,
    push(line, at) {
      if (at < 0) {
        if (modes.length > 0) isOpen = false;
        return true;
      }
      if (line.charCodeAt(at) === 40) return true; // the "(HARTREE**2) (CM**-1) ..." units line
      const m = FREQUENCY_ROW.exec(line);
      const frequency = toNumber(m?.[4]);
      if (!m || frequency === null) {
        isOpen = false;
        return false;
      }
      const [first, last] = [Number(m[1]), Number(m[2])];
      const mode: FrequencyMode = {
        mode: first,
        degeneracy: last - first + 1,
        eigv_hartree2: toNumber(m[3]),
        frequency_cm1: frequency,
        ir_intensity_km_mol: toNumber(m[7]),
      };
      if (m[5]) mode.irrep = m[5];
      if (m[6]) mode.ir_active = m[6] === "A";
      if (m[8]) mode.raman_active = m[8] === "A";
      modes.push(mode);
      return true;
    },
    modes: () => modes.map((mode) => ({ ...mode })),
  };
}

/** Reads the `FINAL OPTIMIZED GEOMETRY` block: primitive cell, volume and the asymmetric unit. */
export interface GeometryCollector {
  /** Starts at the `FINAL OPTIMIZED GEOMETRY - DIMENSIONALITY OF THE SYSTEM n` line. */
  start(line: string): void;
  isOpen(): boolean;
  /** Reads a line of the block; false if the line is not part of it (the caller dispatches it). */
  push(line: string, at: number): boolean;
  result(): FinalGeometry | null;
}

function atomRow(line: string): GeometryAtom | null {
  const m = ATOM_ROW.exec(line);
  const [x, y, z] = [toNumber(m?.[4]), toNumber(m?.[5]), toNumber(m?.[6])];
  if (!m || x === null || y === null || z === null) return null;
  const raw = m[3]!;
  return {
    atomic_number: Number(m[2]),
    symbol: raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase(),
    is_irreducible: m[1] === "T",
    x,
    y,
    z,
  };
}

/** Creates a {@link GeometryCollector}. */
export function createGeometryCollector(): GeometryCollector {
  let geometry: FinalGeometry | null = null;
  let state: "off" | "header" | "awaiting_atoms" | "atoms" = "off";
  let isCellNext = false;
  return {
    start(line) {
      geometry = {
        dimensionality: trailingInteger(line) ?? 3,
        cell: null,
        volume_a3: null,
        atoms: [],
      };
      state = "header";
      isCellNext = false;
    },
    isOpen: () => state !== "off",
    push(line, at) {
      if (geometry === null) return false;
      if (state === "atoms" || state === "awaiting_atoms") {
        const code = at >= 0 ? line.charCodeAt(at) : 0;
        const atom = code >= 48 && code <= 57 ? atomRow(line) : null;
        if (atom) geometry.atoms.push(atom);
        // The asymmetric unit ends at the first other line after its rows; the conventional
        // cell that follows repeats the atoms.
        if (atom) state = "atoms";
        else if (state === "atoms") state = "off";
        return atom !== null;
      }
      if (at < 0) return false;
      const values = isCellNext ? line.trim().split(SPACES).map(Number) : [];
      isCellNext = false;
      if (values.length === 6 && values.every(Number.isFinite)) {
        const [a, b, c, alpha, beta, gamma] = values as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        geometry.cell = { a, b, c, alpha, beta, gamma };
      } else if (line.startsWith("PRIMITIVE CELL", at)) {
        geometry.volume_a3 = toNumber(/VOLUME=\s*(\S+)/.exec(line)?.[1]);
      } else if (line.startsWith("A ", at) && line.includes("ALPHA")) isCellNext = true;
      else if (line.startsWith("ATOMS IN THE ASYMMETRIC UNIT", at)) state = "awaiting_atoms";
      else return false;
      return true;
    },
    result() {
      if (geometry === null) return null;
      const { cell, atoms } = geometry;
      return { ...geometry, cell: cell && { ...cell }, atoms: atoms.map((atom) => ({ ...atom })) };
    },
  };
}
