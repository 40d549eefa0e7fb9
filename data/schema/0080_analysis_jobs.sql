-- Asynchronous analyses (OGC API - Processes Part 1 jobs) kept in the database, so that any instance of the service
-- answers for a job another instance runs, and a restart does not lose finished results. A running job's instance
-- touches `alive` every few seconds; a job not touched for a minute was lost with its instance and reads as failed.
CREATE TABLE analysis_jobs (
  id text PRIMARY KEY,
  analysis text NOT NULL,
  status text NOT NULL CHECK (status IN ('accepted', 'running', 'successful', 'failed')),
  message text NOT NULL,
  progress integer NOT NULL CHECK (progress BETWEEN 0 AND 100),
  created timestamptz NOT NULL DEFAULT now(),
  started timestamptz,
  finished timestamptz,
  alive timestamptz NOT NULL DEFAULT now(),
  -- The whole answer, as the synchronous request would have had it.
  answer_status integer,
  answer_type text,
  answer_headers jsonb,
  answer_body bytea
);
CREATE INDEX analysis_jobs_created ON analysis_jobs (created);
