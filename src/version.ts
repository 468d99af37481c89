import fs from 'node:fs';

/**
 * Purse's version, from package.json (one level above both src/ and dist/). Read on call, not at
 * import: only `purse --version` and the daemon's build-info metric need it.
 */
export function purseVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
