/**
 * Typed errors. Every error Purse raises on purpose carries a stable `code`; callers branch on
 * the class or the code, never on the message. `exitCode` follows design §6: 1 bad input,
 * 2 usage, 75 temporary failure.
 */
export class PurseError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly exitCode: number;
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { field?: string; exitCode?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = opts.field;
    this.exitCode = opts.exitCode ?? 1;
    this.retryable = opts.retryable ?? false;
  }
}

/** Bad input from a user or a file: names the field, changes nothing. */
export class InputError extends PurseError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, { field, exitCode: 1 });
  }
}

/** A named thing does not exist. */
export class NotFoundError extends PurseError {
  constructor(what: string, key: string, field?: string) {
    super('not_found', `${what} ${JSON.stringify(key)} not found`, { field, exitCode: 1 });
  }
}

/** A command line that cannot be understood. */
export class UsageError extends PurseError {
  constructor(message: string) {
    super('usage', message, { exitCode: 2 });
  }
}

/** The database or another dependency is unavailable: try again later. */
export class TemporaryError extends PurseError {
  constructor(message: string, cause?: unknown) {
    super('temporary', message, { exitCode: 75, retryable: true, cause });
  }
}

/** A broken invariant: a bug or corrupted data, never the user's fault. */
export class InvariantError extends PurseError {
  constructor(code: string, message: string) {
    super(code, message, { exitCode: 70 });
  }
}
