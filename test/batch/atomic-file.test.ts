import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/batch.js';
import { AtomicFile } from '../../src/batch/atomic-file.js';

const dir = tempDir();

describe('AtomicFile', () => {
  it('publishes whole with the mode asked, and leaves the target untouched on abort', async () => {
    const target = path.join(dir, 'out.csv');
    const f = await AtomicFile.open(target, 0o600);
    await f.write('a\n');
    expect(fs.existsSync(target)).toBe(false);
    await f.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('a\n');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    const g = await AtomicFile.open(target, 0o600);
    await g.write('b\n');
    await g.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('a\n');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('removes partial files of a killed writer, keeps those of a live one, and never clashes with it', async () => {
    const target = path.join(dir, 'shared.csv');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const live = process.ppid;
    fs.writeFileSync(`${target}.${dead}.partial`, '4111111111111111\n');
    fs.writeFileSync(`${target}.${live}.partial`, 'being written\n');
    const f = await AtomicFile.open(target);
    await f.write('mine\n');
    await f.commit();
    expect(fs.existsSync(`${target}.${dead}.partial`)).toBe(false);
    expect(fs.readFileSync(`${target}.${live}.partial`, 'utf8')).toBe('being written\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('mine\n');
  });
});
