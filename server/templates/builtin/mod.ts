/**
 * The built-in templates, embedded through imports so that the compiled binary carries them:
 * the template files by name, and the partials they include (not listed, not renderable alone).
 *
 * @module
 */
import bandStructure from "./band_structure.yml" with { type: "text" };
import densityOfStates from "./density_of_states.yml" with { type: "text" };
import eosScan from "./eos_scan.yml" with { type: "text" };
import frequencies from "./frequencies.yml" with { type: "text" };
import geometryOptimisation from "./geometry_optimisation.yml" with { type: "text" };
import singlePoint from "./single_point.yml" with { type: "text" };
import geometry from "./_geometry.liquid" with { type: "text" };
import hamiltonian from "./_hamiltonian.liquid" with { type: "text" };

/** Built-in template files, by name (the file's stem). */
export const BUILTIN_TEMPLATES: Readonly<Record<string, string>> = {
  single_point: singlePoint,
  geometry_optimisation: geometryOptimisation,
  frequencies,
  band_structure: bandStructure,
  density_of_states: densityOfStates,
  eos_scan: eosScan,
};

/** Partials the built-ins include, by the name they include them by; one trailing newline dropped. */
export const BUILTIN_PARTIALS: Readonly<Record<string, string>> = {
  _geometry: geometry.replace(/\n$/, ""),
  _hamiltonian: hamiltonian.replace(/\n$/, ""),
};
