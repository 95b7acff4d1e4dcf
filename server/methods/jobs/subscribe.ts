import { z } from "zod";
import { createJobFeed } from "../../jobs/job_feed.ts";
import type { JobChange } from "../../jobs/store.ts";
import { JOB_STATES } from "../../model/job_state.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import { notificationOf } from "../../rpc/define_notification.ts";
import type { MethodContext } from "../context.ts";
import { workflowsChanged } from "../workflows/_notifications.ts";
import { jobsChanged, jobsResyncRequired } from "./_notifications.ts";
import { WORKFLOW_ID } from "./_shapes.ts";

/** `jobs.subscribe`: push job changes to this connection. */
export const subscribe = defineMethod({
  name: "jobs.subscribe",
  summary: "Receive jobs.changed notifications on this connection",
  description: "From the answer on, this connection receives a jobs.changed notification for " +
    "every change of the jobs the filters match (all jobs without filters). With since_seq, the " +
    "retained changes after it come first, then the live ones, with no gap and no duplicate; " +
    "when since_seq is older than the retained events (30 days or the last 100 000, whichever " +
    "is more), jobs.resync_required comes instead. A client that stops reading is never " +
    "waited for: its outbox (1024 messages or 1 MiB) keeps the latest change per job, then " +
    "one jobs.resync_required. Workflows' changes of state come as workflows.changed (all of " +
    "them, or with workflow_id only that workflow's, whose members alone then come as " +
    "jobs.changed). The subscription ends with jobs.unsubscribe or the connection.",
  params: z.strictObject({
    pks: z.array(z.number().int().positive()).max(10_000).optional().describe(
      "Only these jobs",
    ),
    states: z.array(z.enum(JOB_STATES)).optional().describe(
      "Only changes that leave a job in one of these states",
    ),
    cluster_id: z.number().int().positive().optional().describe("Only jobs on this cluster"),
    workflow_id: WORKFLOW_ID.optional().describe(
      "Only the jobs of this workflow, and only its workflows.changed",
    ),
    since_seq: z.number().int().min(0).optional().describe(
      "Replay the retained changes after this sequence number first",
    ),
  }),
  result: z.strictObject({
    subscription: z.string().describe("Its id, in every notification and for jobs.unsubscribe"),
    seq: z.number().int().describe("The newest change issued so far"),
  }),
  errors: [],
  examples: [{
    name: "watch running jobs",
    params: { states: ["running", "completed", "failed"] },
    result: { subscription: "sub-1", seq: 1041 },
  }],
  handler(params, ctx: MethodContext) {
    const { session } = ctx;
    const subscription = `sub-${crypto.randomUUID().slice(0, 8)}`;
    /**
     * The seq of the last resync sent: "re-read, then live changes after seq follow". A change at
     * or below it (a progress step the feed held back for its once-a-second limit) is dropped.
     */
    let resyncedAt = -1;
    const resyncMessage = (seq: number) => {
      resyncedAt = Math.max(resyncedAt, seq);
      return notificationOf(jobsResyncRequired, { subscription, seq });
    };
    const push = (change: JobChange) => {
      if (change.seq <= resyncedAt) return;
      session.outbox.push({
        message: notificationOf(jobsChanged, {
          subscription,
          seq: change.seq,
          event: change.kind,
          pk: change.pk,
          state: change.state,
          previous_state: change.previous_state,
          progress_percent: change.progress_percent,
          runner_type: change.runner_type,
          cluster_id: change.cluster_id,
          reason: change.reason,
          at: change.at,
        }),
        key: `${subscription}:${change.pk}`,
        group: subscription,
        resync: () => resyncMessage(ctx.engine.store.bounds().newest),
      });
    };
    const feed = createJobFeed(ctx.engine.store, {
      filter: params,
      sinceSeq: params.since_seq,
      sink: {
        change: push,
        resync: (seq) =>
          session.outbox.push({
            message: resyncMessage(seq),
            group: subscription,
            resync: () => resyncMessage(seq),
          }),
      },
    });
    // Workflows' own changes, live (members' changes come through the feed).
    const stopWorkflows = ctx.workflows.onChange((change) => {
      if (params.workflow_id !== undefined && change.workflow_id !== params.workflow_id) return;
      session.outbox.push({
        message: notificationOf(workflowsChanged, { subscription, ...change }),
        group: subscription,
        resync: () => resyncMessage(ctx.engine.store.bounds().newest),
      });
    });
    session.subscriptions.set(subscription, {
      stop() {
        stopWorkflows();
        feed.stop();
      },
    });
    // After the answer has gone out: notifications never overtake it.
    setTimeout(() => feed.start(), 0);
    return Promise.resolve({ subscription, seq: feed.seq });
  },
});
