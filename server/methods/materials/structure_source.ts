/**
 * How a request names a structure, shared by the methods that take one.
 *
 * @module
 */
import { z } from "zod";
import { fetchMaterial } from "../../materials/material.ts";
import { chooseSource, readStructure, type StructureSource } from "../../structures/read.ts";
import type { Structure } from "../../structures/structure.ts";
import type { MethodContext } from "../context.ts";
import { cacheOf } from "./_cache.ts";

/** The ways a request names a structure: exactly one of these. */
export const STRUCTURE_SOURCE = {
  material_id: z.string().min(3).max(300).optional().describe(
    '"<provider>:<entry_id>" from materials.search, fetched from its provider',
  ),
  cif: z.string().min(1).max(16 * 1024 * 1024).optional().describe("CIF 1.1 text"),
  poscar: z.string().min(1).max(16 * 1024 * 1024).optional().describe(
    "VASP 5 POSCAR text (with the element line)",
  ),
  structure: z.record(z.string(), z.unknown()).optional().describe(
    "OPTIMADE structure attributes: lattice_vectors, cartesian_site_positions, " +
      "species_at_sites, species",
  ),
};

/** The structure a request names, fetched from its provider for a material_id. */
export async function structureOf(
  source: StructureSource,
  ctx: MethodContext,
): Promise<Structure> {
  if (chooseSource(source) !== "material_id") return readStructure(source);
  const material = await fetchMaterial(source.material_id!, ctx.config.materials, {
    cache: cacheOf(ctx),
  });
  return material.structure;
}
