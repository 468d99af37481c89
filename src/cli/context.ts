import type { Command } from 'commander';
import { openContext, type Context } from '../context.js';

/** Leaf commands that only read: they never create a database or a key ring (see markCommand). */
const READ_ONLY_LEAVES = new Set(['list', 'show', 'status', 'verify']);
const READ_ONLY_GROUPS = new Set(['report']);

/**
 * Whether the command now running only reads. Set once per CLI run by main's preAction hook:
 * withContext is called from every command file, and this keeps the rule in one place instead of
 * a flag on each read-only command.
 */
let readOnly = false;
/** The command's name for its database connections (`application_name`), e.g. `purse cards load`. */
let applicationName = 'purse';

/** Records which command runs (main's preAction hook). */
export function markCommand(command: Command): void {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  readOnly = READ_ONLY_LEAVES.has(names[names.length - 1] ?? '') || READ_ONLY_GROUPS.has(names[0] ?? '');
  applicationName = ['purse', ...names].join(' ');
}


/**
 * Runs a command body with a Context opened for it and closed afterwards (an embedded database
 * this process started is stopped again). A read-only command never creates a database or keys.
 */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext({ create: !readOnly, applicationName });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
