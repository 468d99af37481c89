import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Every Purse process using the embedded server also registers in `<home>/pg.users/` (a file
 * named `<pid>-<random>`) for as long as it uses it. Unlike the presence connection, this
 * survives a restart of the server: a daemon whose server was stopped and started again under it
 * (its pools reconnect by themselves) still counts as a user, so a CLI command that started the
 * server again never stops it under the daemon. A file whose process is gone is ignored and
 * removed.
 */
const USERS_DIR = 'pg.users';

/** Registers this use of the server under USERS_DIR; returns the file. */
export async function register(home: string): Promise<string> {
  const dir = path.join(home, USERS_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  await fs.writeFile(file, String(process.pid), { mode: 0o644 });
  return file;
}

/** Whether a live process other than this registration uses the server; removes files of dead processes. */
export async function othersRegistered(home: string, own: string): Promise<boolean> {
  const dir = path.join(home, USERS_DIR);
  let others = false;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    if (file === own) continue;
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) others = true;
    else await fs.rm(file, { force: true });
  }
  return others;
}

/** Whether process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
