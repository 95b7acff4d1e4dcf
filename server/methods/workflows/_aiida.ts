/**
 * What a workflow run in AiiDA shows beside the common view: its process as AiiDA last reported
 * it, read from the aiida_processes row.
 *
 * @module
 */
import { z } from "zod";
import { AIIDA_PROCESS_STATES } from "../../aiida/verdi.ts";
import { findAiidaProcess } from "../../db/aiida.ts";
import type { Database } from "../../db/open.ts";

/** The `aiida` member of a workflow's view. */
export const AIIDA_VIEW = z.strictObject({
  cluster_id: z.number().int().describe("The cluster whose AiiDA runs it"),
  profile: z.string().describe("The AiiDA profile"),
  remote_dir: z.string().describe("Where the launcher and its inputs are on the cluster"),
  process_pk: z.number().int().nullable().describe(
    "The AiiDA process PK, once verdi run printed it",
  ),
  process_uuid: z.string().nullable().describe("Its UUID"),
  process_label: z.string().nullable().describe("Its process class, e.g. BaseCrystalWorkChain"),
  process_state: z.enum(AIIDA_PROCESS_STATES).nullable().describe(
    "AiiDA's process_state: created, waiting, running, finished, excepted or killed",
  ),
  exit_status: z.number().int().nullable().describe("AiiDA's exit status once finished (0: ok)"),
  exit_message: z.string().nullable().describe("Its exit message, or the exception"),
  outputs: z.array(z.strictObject({
    label: z.string(),
    pk: z.number().int(),
    type: z.string(),
  })).describe("Its top-level output nodes (verdi process show)"),
  checked_at: z.string().nullable().describe("When verdi process show last answered (ISO 8601)"),
  check_error: z.string().nullable().describe("Why the last check or the launch did not answer"),
});

/** `{aiida}` for an AiiDA workflow, `{}` for any other. */
export function aiidaViewOf(
  db: Database,
  pk: number,
): { aiida?: z.output<typeof AIIDA_VIEW> } {
  const row = findAiidaProcess(db, pk);
  if (row === undefined) return {};
  return {
    aiida: {
      cluster_id: row.cluster_id,
      profile: row.profile,
      remote_dir: row.remote_dir,
      process_pk: row.process_pk,
      process_uuid: row.process_uuid,
      process_label: row.process_label,
      process_state: row.process_state as z.output<typeof AIIDA_VIEW>["process_state"],
      exit_status: row.exit_status,
      exit_message: row.exit_message,
      outputs: JSON.parse(row.outputs_json),
      checked_at: row.checked_at,
      check_error: row.check_error,
    },
  };
}
