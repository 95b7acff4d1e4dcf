/**
 * The notifications of `jobs.subscribe`: a job changed, or the client must re-read.
 *
 * @module
 */
import { z } from "zod";
import { RUNNER_TYPES } from "../../model/job.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineNotification } from "../../rpc/define_notification.ts";

/** `jobs.changed`: one job changed state or progress, or was deleted. */
export const jobsChanged = defineNotification({
  name: "jobs.changed",
  summary: "A job changed state or progress, or was deleted",
  description: "Sent to a connection that subscribed with jobs.subscribe, for jobs its filter " +
    "matches. A change of state is sent once per transition, in order per job; a change of " +
    "progress alone at most once a second per job. `seq` is the change's number in the daemon's " +
    "event log: pass the last one seen as since_seq to resume after a reconnect.",
  params: z.strictObject({
    subscription: z.string().describe("The subscription this is for"),
    seq: z.number().int().describe("The change's sequence number (increasing)"),
    event: z.enum(["state", "progress", "deleted"]).describe("What changed"),
    pk: z.number().int().describe("Job id"),
    state: z.enum(JOB_STATES).describe("The job's state after the change"),
    previous_state: z.enum(JOB_STATES).nullable().describe(
      "Its state before (null for a new job)",
    ),
    progress_percent: z.number().describe("Its progress after the change"),
    runner_type: z.enum(RUNNER_TYPES).describe("Where it runs"),
    cluster_id: z.number().int().nullable().describe("Its cluster, if remote"),
    reason: z.string().nullable().describe("Why, for a change of state"),
    at: z.string().describe("When the change was recorded (ISO 8601)"),
  }),
  examples: [{
    name: "a job started",
    params: {
      subscription: "sub-1",
      seq: 1042,
      event: "state",
      pk: 7,
      state: "running",
      previous_state: "queued",
      progress_percent: 0,
      runner_type: "local",
      cluster_id: null,
      reason: "started",
      at: "2026-01-01T12:00:00.000Z",
    },
  }],
});

/** `jobs.resync_required`: changes were lost to this connection; re-read with jobs.list. */
export const jobsResyncRequired = defineNotification({
  name: "jobs.resync_required",
  summary: "Changes were dropped: re-read the jobs you watch",
  description: "Sent instead of the changes a subscription missed: when since_seq is older than " +
    "the retained events, or when the client read so slowly that its outbox overflowed. Re-read " +
    "with jobs.list or jobs.get; live changes after `seq` follow.",
  params: z.strictObject({
    subscription: z.string().describe("The subscription this is for"),
    seq: z.number().int().describe("The newest change the daemon had issued when this was sent"),
  }),
  examples: [{ name: "outbox overflowed", params: { subscription: "sub-1", seq: 52_311 } }],
});
