import type { Command } from 'commander';

/** purse breakage run. */
export function register(_program: Command): void {
  // filled in by its capability
}
