import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { generateKeyringJson } from '../../src/cards/keys.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the migrated template database each test file clones. */
    templateUrl: string;
    keysJson: string;
  }
}

let server: EmbeddedServer | undefined;
let home: string | undefined;

/**
 * One PostgreSQL for the whole run: DATABASE_URL if set, else an embedded server in a temporary
 * PURSE_HOME. A template database is migrated once; every test file clones it.
 */
export async function setup(project: TestProject): Promise<void> {
  const logger = createLogger('error');
  let baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-test-'));
    fs.chmodSync(home, 0o755); // the postgres user must reach its data directory
    server = await startEmbedded(home, logger, { database: 'postgres', durable: false });
    baseUrl = server.url;
  }
  const template = `purse_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${template}`;
  await migrate(url.toString());
  project.provide('templateUrl', url.toString());
  project.provide('keysJson', generateKeyringJson());
}

export async function teardown(): Promise<void> {
  if (server) await server.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
}
