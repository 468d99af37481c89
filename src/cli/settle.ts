import type { Command } from 'commander';

/** purse settle: close a business date and write its settlement files. */
export function register(_program: Command): void {
  // filled in by its capability
}
