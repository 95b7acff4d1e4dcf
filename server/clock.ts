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

let formattedMs = Number.NaN;
let formatted = "";

/**
 * The clock's time, ISO-8601 UTC. The real clock's is formatted once per millisecond and reused:
 * `toISOString` costs about ten times reading the time, and a busy daemon stamps many answers and
 * rows in one millisecond.
 */
export function isoNow(clock: Clock = SYSTEM_CLOCK): string {
  if (clock !== SYSTEM_CLOCK) return clock.now().toISOString();
  const ms = Date.now();
  if (ms !== formattedMs) {
    formatted = new Date(ms).toISOString();
    formattedMs = ms;
  }
  return formatted;
}
