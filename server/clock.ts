/**
 * The source of the current time, replaceable in tests.
 *
 * @module
 */

/** A source of the current time. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = { now: () => new Date() };
