/**
 * Cell parameters, as CRYSTAL prints them, as a deck gives them and as symmetry reports them.
 *
 * @module
 */

/** Cell lengths in Å and angles in degrees. */
export interface CellParameters {
  a: number;
  b: number;
  c: number;
  alpha: number;
  beta: number;
  gamma: number;
}
