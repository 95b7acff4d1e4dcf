/**
 * `workflows.changed`: pushed through the subscriptions of jobs.subscribe.
 *
 * @module
 */
import { z } from "zod";
import { WORKFLOW_STATES } from "../../model/workflow.ts";
import { defineNotification } from "../../rpc/define_notification.ts";

/** `workflows.changed`: a workflow changed state. */
export const workflowsChanged = defineNotification({
  name: "workflows.changed",
  summary: "A workflow changed state",
  description: "Sent to a connection that subscribed with jobs.subscribe (without workflow_id, " +
    "or with this workflow's id): once per change of a workflow's state, in order. Its members' " +
    "own changes come as jobs.changed. Live only: a reconnecting client re-reads with " +
    "workflows.get.",
  params: z.strictObject({
    subscription: z.string().describe("The subscription this is for"),
    workflow_id: z.string().describe('"wf-<n>"'),
    type: z.string().describe("Its type"),
    state: z.enum(WORKFLOW_STATES).describe("Its state after the change"),
    previous_state: z.enum(WORKFLOW_STATES).nullable().describe("Before (null when created)"),
    reason: z.string().nullable().describe("Why: analysed, the failure naming members ..."),
    at: z.string().describe("When (ISO 8601)"),
  }),
  examples: [{
    name: "an EOS study analysed",
    params: {
      subscription: "sub-1",
      workflow_id: "wf-2",
      type: "eos",
      state: "completed",
      previous_state: "running",
      reason: "analysed",
      at: "2026-01-01T12:00:00.000Z",
    },
  }],
});
