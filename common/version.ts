/** The version of crystalmath-server, reported by `version` and `system.version`. */
export const VERSION = "0.1.0";
