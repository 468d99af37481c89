import type { Command } from 'commander';

/** purse report fees | revenue | transactions | stats. */
export function register(_program: Command): void {
  // filled in by its capability
}
