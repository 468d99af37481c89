import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { mallFixture, type MallFixture } from '../test/helpers/mall.js';
import { showCard, changeCardStatus } from '../src/cards/lifecycle.js';
import { setPin } from '../src/cards/pin.js';
import { replaceCard } from '../src/cards/replace.js';
import { cashOutCard } from '../src/cards/cash-out.js';
import { addHolder, forgetHolder, showHolder, queryHolders, linkCard } from '../src/holders/holders.js';
import { addProgram } from '../src/registry/programs.js';
import { issueCard } from '../test/helpers/residual.js';
import { listCards } from '../src/holders/cards.js';
import { cliActor } from '../src/admin/audit.js';
import { expectSameOutputs, expectVerified, type Outputs } from './helpers/compare.js';
import { idLabels, relabel } from './helpers/labels.js';


// Card ids differ between the two databases by how their sequences hand them out; card numbers
// are random; the personalization file's path is the run's own directory.
const normalized = (value: unknown, ids: Map<number, string>, dir: string): unknown =>
  JSON.parse(JSON.stringify(value).replaceAll(dir, '<dir>'), (key: string, v: unknown) => {
    if (typeof v === 'number' && /(^|_)card_id$|^id$|^replaced_by$/.test(key) && ids.has(v)) return ids.get(v);
    if (typeof v === 'string' && /^\d{6}\*+\d{4}$|^\*+\d{4}$/.test(v)) return '<masked>';
    if (key === 'pan_last4') return '<last4>';
    return v;
  });

/**
 * A card's life after issuance on one database, through the domain functions the CLI and the
 * management API call: shown, frozen and unfrozen, a PIN set, reported lost and replaced (value and
 * points moved to a new card in one entry: two cards in one transaction, as the business needs),
 * the new card linked, a named card cashed out and its holder forgotten, holders found by card.
 */
async function runCards(citus: boolean): Promise<{ out: Outputs; f: MallFixture }> {
  const ctx = await clusterContext(await clusterDatabase({ citus }));
  const f = await mallFixture(2, 10_000, ctx);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-cards-'));
  const ids = new Map<number, string>(f.holders.map((h, i) => [h.cardId, `card ${i}`]));
  const steps: [string, unknown][] = [];
  // A step that fails records its error (and the day goes on), so one run shows every step the cluster refuses.
  const put = async (name: string, value: Promise<unknown> | unknown) => {
    steps.push([name, await Promise.resolve(value).catch((e: Error) => `error: ${e.message.replace(/card (\d+)/g, (_m, id: string) => `card ${ids.get(Number(id)) ?? id}`)}`)]);
  };
  const [a, b] = f.holders as [MallFixture['holders'][0], MallFixture['holders'][0]];

  await put('show', showCard(ctx, { cardId: a.cardId }));
  await put('freeze', changeCardStatus(ctx, { cardId: a.cardId }, 'freeze', cliActor()));
  const frozen = await f.send({ request_id: 'frozen-buy', type: 'purchase', card: a.pan, amount: 100, merchant: 'SHOP', terminal: 'S1' });
  await put('purchase on a frozen card', frozen.body.response_code);
  await put('unfreeze', changeCardStatus(ctx, { cardId: a.cardId }, 'unfreeze', cliActor()));
  await put('pin', setPin(ctx, { cardId: a.cardId }, '482915'));
  const buy = await f.send({ request_id: 'buy-a', type: 'purchase', card: a.pan, amount: 1_500, merchant: 'SHOP', terminal: 'S1' });
  await put('purchase', buy.body.response_code);

  await put('lost', changeCardStatus(ctx, { pan: b.pan }, 'mark_lost', cliActor()));
  const replaced = await replaceCard(ctx, { cardId: b.cardId }, { out: path.join(dir, 'replacement.csv') }, cliActor());
  ids.set(replaced.new_card_id, 'card 1 replacement');
  await put('replace', replaced);
  await put('old card after replacement', showCard(ctx, { cardId: b.cardId }));
  await put('new card', showCard(ctx, { cardId: replaced.new_card_id }));
  await put('link the new card', linkCard(ctx, b.id, { cardId: replaced.new_card_id }, cliActor()));
  await put('holder of the new card', showHolder(ctx, b.id));
  await put('holder cards', listCards(ctx, { holderId: b.id }));

  // A registered holder's named card: cashed out (value back, card closed), then the holder forgotten.
  await addProgram(ctx, { code: 'NAMED', issuer: 'ISS', bin: '626000', named: true });
  const d = (await addHolder(ctx, { name: 'Holder D', id_type: 'other', id_number: 'ID-D', mobile: '13900002000' }, 'holder password 2', cliActor())).holder;
  const named = await issueCard(ctx, 'NAMED');
  ids.set(named.id, 'named card');
  await linkCard(ctx, d.id, { cardId: named.id }, cliActor());
  await f.fund(named.id, 5_000);
  await put('forget refused while value is held', forgetHolder(ctx, d.id, cliActor()));
  await put('cash out', cashOutCard(ctx, { cardId: named.id }));
  await put('forget', forgetHolder(ctx, d.id, cliActor()));
  await put('holders by last 4', queryHolders(ctx, { cardLast4: a.pan.slice(-4) }));
  const labels = await idLabels(ctx.db.pg);
  const out: Outputs = Object.fromEntries(steps.map(([name, v]) => [name, JSON.stringify(normalized(relabel(v, labels), ids, dir), null, 1)]));
  return { out, f };
}

describe('card lifecycle on a single server and on the cluster', () => {
  let single: { out: Outputs; f: MallFixture };
  let cluster: { out: Outputs; f: MallFixture };
  beforeAll(async () => {
    single = await runCards(false);
    cluster = await runCards(true);
  });

  it('the life exercised what it names', () => {
    expect(single.out['purchase on a frozen card']).not.toBe('"00"');
    expect(single.out['purchase']).toBe('"00"');
    expect(JSON.parse(single.out['replace']!)).toMatchObject({ value: 10_000, points: { SHOPPTS: 1_000 } });
    expect(JSON.parse(single.out['cash out']!)).toMatchObject({ amount: 5_000, status: 'closed' });
    expect(single.out['forget refused while value is held']).toMatch(/^"error: /);
  });

  it('gives the same answers to every step', () => {
    expectSameOutputs(single.out, cluster.out);
  });

  it('ledger verify is clean on both', async () => {
    await expectVerified(single.f.ctx.db.pg, cluster.f.ctx.db.pg);
  });
});
