/**
 * Shapes the materials methods answer with, shared by the legacy layer.
 *
 * @module
 */
import { z } from "zod";

/** Cell parameters as methods answer them: Å and degrees. */
export const CELL = z.strictObject({
  a: z.number(),
  b: z.number(),
  c: z.number(),
  alpha: z.number(),
  beta: z.number(),
  gamma: z.number(),
});
