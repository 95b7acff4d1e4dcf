/**
 * The OPTIMADE databases asked by default: the child databases the Materials-Consortia providers
 * index lists for these five (docs: materials-workflows §1.3), replaced as a whole by
 * `[materials] optimade_providers` in config.toml.
 *
 * @module
 */
import type { MaterialsSettings } from "../config_file.ts";
import type { Provider } from "./optimade_client.ts";

/** The built-in list. */
export const DEFAULT_PROVIDERS: readonly Provider[] = [
  { id: "mp", baseUrl: "https://optimade.materialsproject.org" },
  { id: "oqmd", baseUrl: "https://oqmd.org/optimade/" },
  { id: "cod", baseUrl: "https://www.crystallography.net/cod/optimade" },
  { id: "alexandria-pbe", baseUrl: "https://alexandria.icams.rub.de/pbe" },
  { id: "jarvis", baseUrl: "https://jarvis.nist.gov/optimade/jarvisdft" },
];

/** The providers in use, and whether they come from the config file. */
export function providersOf(settings: MaterialsSettings): {
  providers: readonly Provider[];
  source: "builtin" | "config";
} {
  return settings.providers === null
    ? { providers: DEFAULT_PROVIDERS, source: "builtin" }
    : { providers: settings.providers, source: "config" };
}
