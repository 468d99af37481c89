-- Scheduled jobs (design §2, §9): every daemon runs the scheduler, and exactly one of them runs each
-- occurrence of a job. A session advisory lock per job (try-lock) keeps two daemons from running a
-- job at the same time; the unique (job, scheduled_at) key keeps a daemon that fires a few ms
-- later, after the first one finished and released the lock, from running the occurrence again.
-- The latest recorded occurrence is also what a starting daemon compares with the latest due one
-- to catch up runs missed while every daemon was down.

create table job_runs (
  id           bigint generated always as identity primary key,
  job          text not null check (job ~ '^[a-z][a-z0-9-]{0,63}$'),
  scheduled_at timestamptz not null,
  reason       text not null check (reason in ('scheduled', 'catch-up')),
  runner       text not null,
  attempts     integer not null default 1 check (attempts >= 1),
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  status       text not null check (status in ('running', 'succeeded', 'failed')),
  result       jsonb,
  error        text,
  unique (job, scheduled_at),
  check ((status = 'running') = (finished_at is null))
);
comment on table job_runs is 'One row per occurrence of a scheduled job that some daemon ran (or is running); unique per (job, scheduled_at), so an occurrence runs once across daemons.';
comment on column job_runs.job is 'Job name from src/daemon/jobs.ts (e.g. settlement, hold-expiry).';
comment on column job_runs.scheduled_at is 'The cron occurrence this run is for, computed in the business time zone from the injectable clock.';
comment on column job_runs.reason is 'scheduled: fired by cron; catch-up: run at daemon start for an occurrence missed while all daemons were down (or one that failed or was interrupted).';
comment on column job_runs.runner is 'Which daemon ran it: host name and process id.';
comment on column job_runs.attempts is 'How many times the occurrence was started; a failed or interrupted run is retried by the next catch-up.';
comment on column job_runs.started_at is 'Audit time the latest attempt started (database now()).';
comment on column job_runs.finished_at is 'Audit time the latest attempt ended (database now()); null while running.';
comment on column job_runs.status is 'running, succeeded or failed (a running row whose runner died is taken over by the next daemon that gets the job''s lock).';
comment on column job_runs.result is 'What the job returned (counts and amounts in minor units), as JSON.';
comment on column job_runs.error is 'Error code and message of a failed attempt (no card data).';

create index job_runs_latest on job_runs (job, scheduled_at desc);
