/**
 * What a template sees of a structure: the geometry block as the deck generator writes it (one
 * atom per orbit; `EXTERNAL` when the round trip fails, with the fort.34 handed back beside the
 * text; or P1 with a warning), the symmetry found, a SHRINK from the cell and a default band
 * path. Built by the daemon, so a template gets plain values only.
 *
 * @module
 */
import { bandPathFor } from "../structures/band_path.ts";
import { geometryLines, shrinkFor } from "../structures/d12_writer.ts";
import { type GeometryRoute, placeStructure } from "../structures/placement.ts";
import type { Structure } from "../structures/structure.ts";

/** The `structure` variable of a render. */
export interface StructureContext {
  title: string;
  /** The geometry block's lines, from CRYSTAL to the last atom (or `EXTERNAL`), without an END. */
  geometry: string;
  space_group: number;
  symbol: string;
  crystal_system: string;
  lattice: { a: number; b: number; c: number; alpha: number; beta: number; gamma: number };
  /** Distinct elements, in order of first appearance. */
  elements: string[];
  /** SHRINK IS for the cell (ISP is twice it). */
  shrink: number;
  /** The default BAND path: ISS and its segment lines. */
  band_iss: number;
  band_path: string[];
}

/** Builds the `structure` variable, and what was found on the way. */
export async function structureContext(
  structure: Structure,
  options: { symprec?: number | undefined; geometry?: GeometryRoute | undefined } = {},
): Promise<{ context: StructureContext; fort34: string | null; warnings: string[] }> {
  const placement = await placeStructure(structure, options);
  const path = bandPathFor(placement.space_group.number, placement.centring);
  return {
    context: {
      title: structure.title ?? "crystalmath",
      geometry: placement.fort34 === null
        ? geometryLines(placement.geometry).join("\n")
        : "EXTERNAL",
      space_group: placement.space_group.number,
      symbol: placement.space_group.symbol,
      crystal_system: placement.crystal_system,
      lattice: placement.lattice,
      elements: [...new Set(structure.sites.map((s) => s.element))],
      shrink: shrinkFor(placement.geometry.lattice, placement.centring)[0],
      band_iss: path.iss,
      band_path: path.segments,
    },
    fort34: placement.fort34,
    warnings: placement.warnings,
  };
}
