import type { Route } from './route.js';
import { PEOPLE_ROUTES } from './routes/people.js';
import { MERCHANT_ROUTES } from './routes/merchants.js';
import { TRANSACTION_ROUTES } from './routes/transactions.js';
import { READ_ROUTES } from './routes/reads.js';
import { APPROVAL_ROUTES } from './routes/approvals.js';
import { HOLDER_ROUTES } from './routes/holders.js';
import { MALL_ROUTES } from './routes/mall.js';

/**
 * The route table of the management API (design §10): every route with its roles in one list.
 */
export const ROUTES: readonly Route[] = [...PEOPLE_ROUTES, ...MERCHANT_ROUTES, ...TRANSACTION_ROUTES, ...READ_ROUTES, ...APPROVAL_ROUTES, ...HOLDER_ROUTES, ...MALL_ROUTES];
