import { z } from "zod";
import { VERSION } from "../../../common/version.ts";
import { defineMethod } from "../../rpc/define_method.ts";
import type { MethodContext } from "../context.ts";

/** `system.status`: the running daemon's vital signs. */
export const status = defineMethod({
  name: "system.status",
  summary: "Report the daemon's pid, uptime, paths and load",
  description: "Returns what `crystalmath-server status` prints: process, paths and counters.",
  params: z.strictObject({}),
  result: z.strictObject({
    pid: z.number().int().describe("Daemon process id"),
    version: z.string().describe("crystalmath-server version"),
    started_at: z.iso.datetime().describe("Start time, ISO-8601 UTC"),
    uptime_s: z.number().describe("Seconds since start"),
    socket: z.string().describe("Socket path"),
    db_path: z.string().describe("Database path"),
    connections: z.number().int().describe("Open connections, this one included"),
    requests_served: z.number().int().describe("Requests and notifications handled since start"),
    inactivity_timeout_s: z.number().describe(
      "Idle seconds before the daemon exits; 0 means never",
    ),
    tui_db: z.strictObject({
      path: z.string(),
      kind: z.enum(["absent", "own", "legacy_tui", "foreign"]),
      detail: z.string().describe("What the file is"),
      action: z.string().describe("What the daemon did with it"),
      import: z.strictObject({
        status: z.enum(["imported", "already_imported", "changed_since_import", "failed"])
          .describe(
            "imported now; already_imported at an earlier start; changed_since_import: the " +
              "file changed since and its changes are not imported; failed: nothing imported",
          ),
        imported_at: z.string().nullable().describe("When it was imported, ISO-8601"),
        sha256: z.string().describe("The file's sha256 when imported"),
        jobs: z.number().int().describe("Jobs imported"),
        clusters: z.number().int().describe("Clusters imported"),
        skipped: z.array(z.strictObject({
          table: z.enum(["jobs", "clusters"]),
          id: z.number().int(),
          reason: z.string(),
        })).describe("Rows not imported, and why"),
        changed: z.array(z.strictObject({
          table: z.enum(["jobs", "clusters"]),
          id: z.number().int().describe("The row's id in the old database"),
          change: z.string(),
        })).describe("Rows imported with a change: renamed, renumbered, a link dropped"),
        message: z.string().describe("What was done, in one sentence"),
      }).nullable().describe("The import of an old backend's jobs and clusters, once per file"),
    }).nullable().describe(
      "The terminal UI's database (CRYSTAL_TUI_DB), when given: an old backend's file is left " +
        "untouched, its jobs and clusters are imported once, and the store goes to the data " +
        "directory",
    ),
  }),
  errors: [],
  examples: [{
    name: "status",
    params: {},
    result: {
      pid: 4242,
      version: VERSION,
      started_at: "2026-01-01T12:00:00.000Z",
      uptime_s: 12.5,
      socket: "/run/user/1000/crystalmath.sock",
      db_path: "/home/user/.local/share/crystalmath/crystalmath.db",
      connections: 1,
      requests_served: 3,
      inactivity_timeout_s: 300,
      tui_db: null,
    },
  }],
  handler(_params, ctx: MethodContext) {
    return Promise.resolve({ ...ctx.daemon.status(), version: VERSION });
  },
});
