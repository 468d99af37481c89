import type { Command } from 'commander';

/** purse send: sign and send one transaction to a running daemon. */
export function register(_program: Command): void {
  // filled in by its capability
}
