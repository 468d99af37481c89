import path from 'node:path';
import { InputError } from './errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Configuration, read once at start-up (house style §10: flag > env > default). */
export interface Config {
  /** External PostgreSQL; when absent an embedded server under `purseHome` is used. */
  databaseUrl: string | undefined;
  purseHome: string;
  logLevel: LogLevel;
  /** IANA zone of business dates (default Asia/Shanghai). */
  timezone: string;
  /** Cut-off time of day in `timezone`, minutes after midnight (default 0 = 00:00). */
  cutoffMinutes: number;
  /** Minutes after cut-off before a date may be closed (absorbs clock skew). */
  settleGraceMinutes: number;
  host: string;
  port: number;
  /** Keyring JSON from the environment (PURSE_KEYS); else generated into purseHome. */
  keysJson: string | undefined;
  /** Largest number of connections the hot-path pool opens. */
  poolSize: number;
  /** Authorization batches in flight at once, each on its own connection; 0: chosen from the CPU count. */
  batchConcurrency: number;
  /** Where `purse settle` and the settlement job write the files (default batches/settlement). */
  settlementDir: string;
  /** Port of the management API listener (design §10); null = no admin listener. */
  adminPort: number | null;
  /** Bulk load files whose total exceeds this (minor units) wait for a second operator's approval. */
  loadApprovalOver: number;
  /** Days a maker-checker request waits for a decision before it expires. */
  approvalTtlDays: number;
  /** Longest an authorization may take before the HTTP client gets 503 + Retry-After (PURSE_AUTH_DEADLINE_MS). */
  authDeadlineMs: number;
  /** Server-side timeout of each statement of the daemon's connections, ms; 0 = none (PURSE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /** Authentication failures per source address and minute before it gets 429 (PURSE_AUTH_FAILURE_LIMIT). */
  authFailureLimit: number;
  /** Open HTTP connections, in total and per source address (PURSE_MAX_CONNECTIONS, PURSE_MAX_CONNECTIONS_PER_SOURCE). */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** ISO 8583 listener port (design §5b); undefined = no ISO listener. */
  isoPort: number | undefined;
  /** Channel all ISO 8583 traffic belongs to (required with isoPort). */
  isoChannel: string | undefined;
  /** DE32 acquirer id of ISO answers (up to 11 digits). */
  isoAcquirer: string;
  /** Seconds an ISO connection may stay silent before it is closed. */
  isoIdleSeconds: number;
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type ConfigOverrides = Partial<Pick<Config, 'host' | 'port' | 'databaseUrl' | 'purseHome' | 'logLevel' | 'adminPort' | 'isoPort' | 'isoChannel'>>;

/**
 * Builds the configuration from the environment and command-line overrides, validating every value.
 * Throws InputError naming the variable on anything malformed. `defaultLogLevel`: the level without
 * LOG_LEVEL (design §6: `warn` for CLI commands, so their output is not interleaved with log
 * lines; `purse serve` passes `info`).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}, defaultLogLevel: LogLevel = 'warn'): Config {
  const logLevel = (overrides.logLevel ?? (env.LOG_LEVEL || defaultLogLevel)) as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new InputError('config', `LOG_LEVEL must be one of ${LEVELS.join(', ')}`, 'LOG_LEVEL');

  const timezone = env.PURSE_TIMEZONE ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: timezone });
  } catch {
    throw new InputError('config', `PURSE_TIMEZONE ${JSON.stringify(timezone)} is not an IANA time zone`, 'PURSE_TIMEZONE');
  }

  const cutoff = env.PURSE_CUTOFF ?? '00:00';
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(cutoff);
  if (!m) throw new InputError('config', 'PURSE_CUTOFF must be HH:MM (24-hour)', 'PURSE_CUTOFF');

  const databaseUrl = overrides.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new InputError('config', 'DATABASE_URL must be a postgres:// URL', 'DATABASE_URL');
  }

  return {
    databaseUrl,
    purseHome: path.resolve(overrides.purseHome ?? env.PURSE_HOME ?? '.purse'),
    logLevel,
    timezone,
    cutoffMinutes: Number(m[1]) * 60 + Number(m[2]),
    settleGraceMinutes: intVar(env, 'PURSE_SETTLE_GRACE_MINUTES', 5, 0, 24 * 60),
    host: overrides.host ?? env.PURSE_HOST ?? '127.0.0.1',
    port: overrides.port ?? intVar(env, 'PURSE_PORT', 8080, 0, 65535),
    keysJson: env.PURSE_KEYS || undefined,
    poolSize: intVar(env, 'PURSE_POOL_SIZE', 8, 1, 200),
    batchConcurrency: intVar(env, 'PURSE_BATCH_CONCURRENCY', 0, 0, 64),
    settlementDir: path.resolve(env.PURSE_SETTLEMENT_DIR || path.join('batches', 'settlement')),
    adminPort: overrides.adminPort !== undefined ? overrides.adminPort : env.PURSE_ADMIN_PORT ? intVar(env, 'PURSE_ADMIN_PORT', 0, 0, 65535) : null,
    loadApprovalOver: intVar(env, 'PURSE_LOAD_APPROVAL_OVER', 10_000_000, 0, Number.MAX_SAFE_INTEGER),
    approvalTtlDays: intVar(env, 'PURSE_APPROVAL_TTL_DAYS', 7, 1, 365),
    authDeadlineMs: intVar(env, 'PURSE_AUTH_DEADLINE_MS', 5000, 100, 600_000),
    statementTimeoutMs: intVar(env, 'PURSE_STATEMENT_TIMEOUT_MS', 60_000, 0, 86_400_000),
    authFailureLimit: intVar(env, 'PURSE_AUTH_FAILURE_LIMIT', 30, 1, 1_000_000),
    maxConnections: intVar(env, 'PURSE_MAX_CONNECTIONS', 2000, 1, 1_000_000),
    maxConnectionsPerSource: intVar(env, 'PURSE_MAX_CONNECTIONS_PER_SOURCE', 500, 1, 1_000_000),
    ...isoConfig(env, overrides),
  };
}

function isoConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides): Pick<Config, 'isoPort' | 'isoChannel' | 'isoAcquirer' | 'isoIdleSeconds'> {
  const isoPort = overrides.isoPort ?? (env.PURSE_ISO_PORT ? intVar(env, 'PURSE_ISO_PORT', 0, 0, 65535) : undefined);
  const isoChannel = overrides.isoChannel ?? (env.PURSE_ISO_CHANNEL || undefined);
  if (isoPort !== undefined && !isoChannel) throw new InputError('config', 'PURSE_ISO_CHANNEL (--iso-channel) is required with an ISO port', 'PURSE_ISO_CHANNEL');
  const isoAcquirer = env.PURSE_ISO_ACQUIRER ?? '00000000001';
  if (!/^\d{1,11}$/.test(isoAcquirer)) throw new InputError('config', 'PURSE_ISO_ACQUIRER must be 1-11 digits', 'PURSE_ISO_ACQUIRER');
  return { isoPort, isoChannel, isoAcquirer, isoIdleSeconds: intVar(env, 'PURSE_ISO_IDLE_SECONDS', 300, 1, 86_400) };
}

function intVar(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError('config', `${name} must be an integer from ${min} to ${max}`, name);
  }
  return Number(raw);
}
