import type { Command } from 'commander';

/** purse cards show | freeze | unfreeze | replace | reactivate | cash-out. */
export function register(_program: Command): void {
  // filled in by its capability
}
