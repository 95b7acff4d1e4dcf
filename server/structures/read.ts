/**
 * A structure from whichever form a caller gives: CIF text, POSCAR text or OPTIMADE structure
 * attributes. Exactly one; a reader's complaint becomes an invalid-input error naming the form.
 *
 * @module
 */
import { CrystalInputInvalidError } from "../errors.ts";
import { parseCif } from "./cif.ts";
import { structureFromOptimade } from "./optimade.ts";
import { parsePoscar } from "./poscar.ts";
import type { Structure } from "./structure.ts";

/** The forms a structure may come in; a material_id is fetched by the caller. */
export interface StructureSource {
  material_id?: string | undefined;
  cif?: string | undefined;
  poscar?: string | undefined;
  structure?: unknown;
}

const READERS = {
  cif: (value: unknown) => parseCif(value as string),
  poscar: (value: unknown) => parsePoscar(value as string),
  structure: (value: unknown) => structureFromOptimade(value),
} as const;

const FORMS = ["material_id", "cif", "poscar", "structure"] as const;

/** Which one form `source` gives. @throws {CrystalInputInvalidError} unless exactly one */
export function chooseSource(source: StructureSource): (typeof FORMS)[number] {
  const given = FORMS.filter((key) => source[key] !== undefined);
  if (given.length !== 1) {
    throw new CrystalInputInvalidError(
      `Cannot read a structure: give exactly one of material_id, cif, poscar and structure` +
        (given.length > 1 ? `, not ${given.join(" and ")}` : ""),
    );
  }
  return given[0]!;
}

/** Reads the one text or attributes source given. @throws {CrystalInputInvalidError} naming what was wrong */
export function readStructure(source: StructureSource): Structure {
  const form = chooseSource(source);
  if (form === "material_id") throw new TypeError("readStructure() cannot fetch a material_id");
  try {
    return READERS[form](source[form]);
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) {
      throw new CrystalInputInvalidError(`Cannot read the ${form}: ${error.message}`, {
        data: { reason: "unreadable_structure", form },
        cause: error,
      });
    }
    throw error;
  }
}
