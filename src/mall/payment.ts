/**
 * How an order pays and is paid back: messages through the transaction core on channel WEB-SEAT
 * at the goods' merchant (terminal WEB-SEAT), with request ids derived from the order id. Every
 * call is therefore the core's idempotent repeat when made again (after a crash, or by a second
 * caller), and the order row is resolved from its answer exactly once (guarded by its status).
 */
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import type { TxnResponse } from '../daemon/work-item.js';
import { decrypt } from '../cards/vault.js';
import { InvariantError, TemporaryError } from '../errors.js';
import { adminMessage } from '../admin/transactions.js';
import { WEB_SEAT } from '../admin/web-seat.js';

/** What the messages of an order need. */
export interface OrderPayment {
  id: number; pay: 'points' | 'value'; amount: number; merchant: string; scheme: string | null; pan_cipher: Buffer; pan_key_id: string;
}

export const PAYMENT_SQL = `select o.id, o.pay, o.amount, m.code as merchant, s.code as scheme, c.pan_cipher, c.key_id as pan_key_id
  from orders o join goods g on g.id = o.goods_id join merchants m on m.id = o.merchant_id left join schemes s on s.id = g.scheme_id
  join cards c on c.id = o.card_id where o.id = $1`;

export const paymentRequestId = (orderId: number) => `order-${orderId}`;

async function submit(ctx: Context, core: TransactionCore, msg: ReturnType<typeof adminMessage>): Promise<TxnResponse> {
  const channel = await core.registry.channel(WEB_SEAT);
  if (!channel) throw new TemporaryError('the WEB-SEAT channel is not set up yet');
  const result = await core.process(msg, channel, ctx.logger);
  if (result.kind === 'conflict') throw new InvariantError('order_request_conflict', `request ${msg.requestId} was already used with another body`);
  return result.response;
}

/** The order's payment: `points_redeem` of the goods' scheme or `purchase`, for the order's amount. */
export async function pay(ctx: Context, core: TransactionCore, o: OrderPayment): Promise<TxnResponse> {
  return submit(ctx, core, adminMessage(null, null, {
    requestId: paymentRequestId(o.id), type: o.pay === 'points' ? 'points_redeem' : 'purchase', card: decrypt(ctx.keys, o.pan_cipher, o.pan_key_id),
    amount: o.amount, merchant: o.merchant, terminal: WEB_SEAT, originalRequestId: null, originalChannelId: null, scheme: o.pay === 'points' ? o.scheme : null,
  }));
}

/**
 * Pays an order back: a void on the payment's business date; once that date is over (the void
 * answers 12) a refund of the whole amount. Both with fixed request ids, so a replay repeats them.
 */
export async function payBack(ctx: Context, core: TransactionCore, o: OrderPayment): Promise<TxnResponse> {
  const common = { merchant: o.merchant, terminal: WEB_SEAT, originalRequestId: paymentRequestId(o.id), originalChannelId: null };
  const v = await submit(ctx, core, adminMessage(null, null, { ...common, requestId: `${paymentRequestId(o.id)}-void`, type: 'void', amount: null }));
  if (v.response_code !== '12') return v;
  return submit(ctx, core, adminMessage(null, null, { ...common, requestId: `${paymentRequestId(o.id)}-refund`, type: 'refund', amount: o.amount }));
}
