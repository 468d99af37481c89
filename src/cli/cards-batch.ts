import type { Command } from 'commander';

/** purse cards issue | load (batch issuance and bulk loads). */
export function register(_program: Command): void {
  // filled in by its capability
}
