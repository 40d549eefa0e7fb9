-- Runs of the scheduled refresh jobs. Jobs themselves are defined in configuration; this is their record.
CREATE TABLE job_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  -- The cron occurrence a scheduled run belongs to; unique per job, so that of several service instances
  -- on one database exactly one claims it.
  scheduled_for timestamptz,
  requested_by text,
  instance text NOT NULL,
  -- queued: a claimed scheduled run waiting for the job's lock (another run of the job is in progress).
  status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  requests integer NOT NULL DEFAULT 0,
  inserted integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  unchanged integer NOT NULL DEFAULT 0,
  error text,
  indicators jsonb NOT NULL DEFAULT '[]',
  CHECK ((trigger = 'schedule') = (scheduled_for IS NOT NULL))
);

CREATE UNIQUE INDEX job_runs_occurrence_idx ON job_runs (job_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX job_runs_job_idx ON job_runs (job_id, id DESC);

COMMENT ON COLUMN job_runs.indicators IS 'Per indicator: {"indicator","status","inserted","updated","unchanged","error"}.';
