import type { Command } from 'commander';

/** purse report liability. */
export function register(_program: Command): void {
  // filled in by its capability
}
