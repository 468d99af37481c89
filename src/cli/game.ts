import type { Command } from 'commander';

/** purse game add | list | show (points lottery games). */
export function register(_program: Command): void {
  // filled in by its capability
}
