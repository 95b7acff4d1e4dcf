/**
 * The `workflows.create_*` methods, one per declared workflow type.
 *
 * @module
 */
import { CONVERGENCE } from "../../workflows/convergence.ts";
import { BANDS } from "../../workflows/bands.ts";
import { EOS } from "../../workflows/eos.ts";
import { PHONON } from "../../workflows/phonon.ts";
import { createMethodFor } from "./_create.ts";

/** `workflows.create_convergence`. */
export const createConvergence = createMethodFor(CONVERGENCE);
/** `workflows.create_eos`. */
export const createEos = createMethodFor(EOS);
/** `workflows.create_phonon`. */
export const createPhonon = createMethodFor(PHONON);
/** `workflows.create_bands`. */
export const createBands = createMethodFor(BANDS);
