import { openContext, type Context } from '../context.js';

/**
 * Runs a command body with a Context opened for it and closed afterwards (an embedded database
 * this process started is stopped again).
 */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext();
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
