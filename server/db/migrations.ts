/**
 * Numbered schema migrations. Each runs once, in order, inside the start-up transaction, and the
 * schema version is kept in `PRAGMA user_version`. Never edit a migration that has shipped: add
 * the next one.
 *
 * @module
 */

/** One migration: the version it brings the schema to, and its SQL. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "clusters, jobs, workflows and a key-value cache",
    sql: `
      CREATE TABLE clusters (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        cluster_type TEXT NOT NULL CHECK (cluster_type IN ('slurm', 'ssh')),
        hostname TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
        username TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE jobs (
        pk INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN
          ('created', 'submitted', 'queued', 'running', 'completed', 'failed', 'cancelled', 'unknown')),
        dft_code TEXT NOT NULL DEFAULT 'crystal',
        runner_type TEXT NOT NULL DEFAULT 'local',
        cluster_id INTEGER REFERENCES clusters (id),
        work_dir TEXT,
        input TEXT NOT NULL,
        progress_percent REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL,
        results_json TEXT,
        error_snippet TEXT
      ) STRICT;
      CREATE INDEX jobs_state_pk ON jobs (state, pk);
      CREATE INDEX jobs_cluster_pk ON jobs (cluster_id, pk);

      CREATE TABLE workflows (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        spec_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE workflow_jobs (
        workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
        job_pk INTEGER NOT NULL REFERENCES jobs (pk),
        role TEXT NOT NULL,
        PRIMARY KEY (workflow_id, job_pk)
      ) STRICT;

      CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        expires_at TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: "local jobs: process, inputs, tags, resources, phase and a transition log",
    sql: `
      ALTER TABLE jobs ADD COLUMN pid INTEGER;
      ALTER TABLE jobs ADD COLUMN exit_code INTEGER;
      ALTER TABLE jobs ADD COLUMN properties_input TEXT;
      ALTER TABLE jobs ADD COLUMN restart_from INTEGER REFERENCES jobs (pk);
      ALTER TABLE jobs ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE jobs ADD COLUMN resources_json TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE jobs ADD COLUMN phase TEXT;
      ALTER TABLE jobs ADD COLUMN state_reason TEXT;
      ALTER TABLE jobs ADD COLUMN output_name TEXT;
      ALTER TABLE jobs ADD COLUMN final_energy REAL;
      CREATE INDEX jobs_runner_pk ON jobs (runner_type, pk);

      CREATE TABLE job_events (
        id INTEGER PRIMARY KEY,
        job_pk INTEGER NOT NULL REFERENCES jobs (pk) ON DELETE CASCADE,
        from_state TEXT,
        to_state TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT
      ) STRICT;
      CREATE INDEX job_events_job ON job_events (job_pk, id);

      -- Row counts per state, kept by triggers, so jobs.list reports its total without a scan.
      CREATE TABLE job_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) STRICT;
      INSERT INTO job_counts (state, n) SELECT state, COUNT(*) FROM jobs GROUP BY state;
      CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
          ON CONFLICT (state) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;
      CREATE TRIGGER job_counts_update AFTER UPDATE OF state ON jobs
        WHEN OLD.state IS NOT NEW.state BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
          ON CONFLICT (state) DO UPDATE SET n = n + 1;
      END;
    `,
  },
  {
    version: 3,
    description: "remote jobs: SLURM id, remote directory, submission step and dependencies",
    sql: `
      ALTER TABLE jobs ADD COLUMN slurm_job_id TEXT;
      ALTER TABLE jobs ADD COLUMN remote_dir TEXT;
      ALTER TABLE jobs ADD COLUMN depends_on_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE jobs ADD COLUMN submit_step TEXT;
      ALTER TABLE jobs ADD COLUMN remote_state TEXT;
      CREATE INDEX jobs_cluster_slurm ON jobs (cluster_id, slurm_job_id);
    `,
  },
  {
    version: 4,
    description: "job events: one log of every state and progress change, with a sequence number",
    sql: `
      -- seq is AUTOINCREMENT so a number is never reused, not even after the newest events are
      -- pruned or deleted with their job: clients resume from it. Rows do not reference jobs, so
      -- the event that says a job was deleted outlives it.
      CREATE TABLE job_events_v4 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_pk INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'progress', 'deleted')),
        from_state TEXT,
        to_state TEXT NOT NULL,
        progress_percent REAL NOT NULL DEFAULT 0,
        runner_type TEXT NOT NULL,
        cluster_id INTEGER,
        at TEXT NOT NULL,
        reason TEXT
      ) STRICT;
      INSERT INTO job_events_v4 (seq, job_pk, kind, from_state, to_state, progress_percent,
          runner_type, cluster_id, at, reason)
        SELECT e.id, e.job_pk, 'state', e.from_state, e.to_state, j.progress_percent,
          j.runner_type, j.cluster_id, e.at, e.reason
        FROM job_events e JOIN jobs j ON j.pk = e.job_pk ORDER BY e.id;
      DROP TABLE job_events;
      ALTER TABLE job_events_v4 RENAME TO job_events;
      CREATE INDEX job_events_job ON job_events (job_pk, seq);
      CREATE INDEX job_events_at ON job_events (at);

      -- The highest job pk ever given: pks of deleted jobs are never given again, so a pk seen in
      -- an event or a subscription filter names one job for good.
      CREATE TABLE job_pk_high (last INTEGER NOT NULL) STRICT;
      INSERT INTO job_pk_high (last) SELECT COALESCE(MAX(pk), 0) FROM jobs;

      -- The plain-SSH runner: the process group of the run on its host.
      ALTER TABLE jobs ADD COLUMN remote_pid INTEGER;

      -- jobs.submit's idempotency key: a client that lost the answer submits again and gets the
      -- same job back.
      ALTER TABLE jobs ADD COLUMN client_token TEXT;
      CREATE UNIQUE INDEX jobs_client_token ON jobs (client_token) WHERE client_token IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: "cache: when each value was fetched, for [materials] cache_days",
    sql: `
      ALTER TABLE cache ADD COLUMN fetched_at TEXT;
      CREATE INDEX cache_fetched ON cache (fetched_at);
    `,
  },
  {
    version: 6,
    description: "jobs: the workflow a job belongs to, as a group tag",
    sql: `
      -- A free-form tag: the id of one of our workflows or the terminal UI's own "wf_<n>".
      ALTER TABLE jobs ADD COLUMN workflow_id TEXT;
      CREATE INDEX jobs_workflow ON jobs (workflow_id) WHERE workflow_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    description: "workflows and their planned members",
    sql: `
      -- Version 1's placeholders, which no code ever wrote, give way to the engine's tables.
      DROP TABLE workflow_jobs;
      DROP TABLE workflows;

      -- A study: its type's params as given, its state, and once analysed its result.
      CREATE TABLE workflows (
        pk INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN
          ('created', 'running', 'completed', 'failed', 'cancelled')),
        params_json TEXT NOT NULL,
        result_json TEXT,
        warnings_json TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
      ) STRICT;
      CREATE INDEX workflows_state ON workflows (state);

      -- Every member is planned, deck and all, in the transaction that records the workflow; its
      -- job is created later with the client_token "wf-<pk>/<key>", so a restart between the two
      -- finds the job instead of making a second one.
      CREATE TABLE workflow_members (
        workflow_pk INTEGER NOT NULL REFERENCES workflows (pk) ON DELETE CASCADE,
        member_key TEXT NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        input TEXT NOT NULL,
        depends_on_json TEXT NOT NULL DEFAULT '[]',
        meta_json TEXT NOT NULL DEFAULT '{}',
        job_pk INTEGER,
        PRIMARY KEY (workflow_pk, member_key)
      ) STRICT;
      CREATE INDEX workflow_members_job ON workflow_members (job_pk) WHERE job_pk IS NOT NULL;
    `,
  },
  {
    version: 8,
    description: "legacy imports: each old-backend database imported, so it is imported once",
    sql: `
      -- One row per file at CRYSTAL_TUI_DB whose jobs and clusters were imported (tui-contract
      -- §9): its path, its sha256 then, when, and what came in or was skipped, with reasons.
      CREATE TABLE legacy_imports (
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        jobs INTEGER NOT NULL,
        clusters INTEGER NOT NULL,
        report_json TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 9,
    description: "a workflow member may restart from an earlier member's files",
    sql: `
      -- The key of the member whose restart files (fort.9, fort.20, fort.34) this member's job
      -- copies once that member has run: a FREQCALC on the geometry an OPT member wrote.
      ALTER TABLE workflow_members ADD COLUMN restart_from TEXT;
    `,
  },
  {
    version: 10,
    description: "AiiDA processes launched by workflows.launch_aiida, one per workflow",
    sql: `
      -- A workflow of type "aiida" runs in a user's own AiiDA on a cluster: its row in workflows
      -- holds the state as ours, this one what AiiDA said. process_pk stays null until verdi run
      -- has printed it (the launcher also leaves it in <remote_dir>/submitted.json). cluster_id
      -- has no foreign key: deleting the cluster leaves the record, which then cannot be tracked.
      CREATE TABLE aiida_processes (
        workflow_pk INTEGER PRIMARY KEY REFERENCES workflows (pk) ON DELETE CASCADE,
        cluster_id INTEGER NOT NULL,
        profile TEXT NOT NULL,
        remote_dir TEXT NOT NULL,
        process_pk INTEGER,
        process_uuid TEXT,
        process_label TEXT,
        process_state TEXT,
        exit_status INTEGER,
        exit_message TEXT,
        outputs_json TEXT NOT NULL DEFAULT '[]',
        checked_at TEXT,
        check_error TEXT
      ) STRICT;
    `,
  },
  {
    version: 11,
    description: "jobs: the fort.34 an EXTERNAL geometry reads, shipped with the job",
    sql: `
      -- The text written to fort.34 in the job directory before CRYSTAL starts; null without one.
      ALTER TABLE jobs ADD COLUMN fort34 TEXT;
    `,
  },
  {
    version: 12,
    description: "properties-only jobs, and members that run properties",
    sql: `
      -- A job that runs properties alone, on the fort.9 of the job it restarts from.
      ALTER TABLE jobs ADD COLUMN properties_only INTEGER NOT NULL DEFAULT 0
        CHECK (properties_only IN (0, 1));
      -- A member's .d3 and whether it runs properties alone (the member whose files it restarts
      -- from is version 9's restart_from); a member planned on an existing job is recorded with
      -- that job from the start.
      ALTER TABLE workflow_members ADD COLUMN properties_input TEXT;
      ALTER TABLE workflow_members ADD COLUMN properties_only INTEGER NOT NULL DEFAULT 0
        CHECK (properties_only IN (0, 1));
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
