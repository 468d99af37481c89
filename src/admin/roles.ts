/**
 * Roles and scope of design §10 — the one table of who may do what lives in routes.ts (each route
 * names its roles); this module defines the roles and what an operator's scope is.
 */
export const ROLES = ['platform_admin', 'finance', 'issuer_ops', 'merchant_admin', 'merchant_operator', 'cardholder'] as const;
export type Role = (typeof ROLES)[number];

export const PA: Role = 'platform_admin';
export const FI: Role = 'finance';
export const IO: Role = 'issuer_ops';
export const MA: Role = 'merchant_admin';
export const MO: Role = 'merchant_operator';
export const CH: Role = 'cardholder';

/** The operator a request acts as. */
export interface Principal {
  operatorId: number;
  username: string;
  role: Role;
  merchantId: number | null;
  issuerId: number | null;
  sessionId: number | null;
  /** The holder a cardholder login is (null for every other role). */
  holderId: number | null;
}

/**
 * The owner of an object, as a scope resolver reports it: the merchant and/or issuer it belongs to.
 * `null` means the object does not exist.
 */
export interface Owner { merchantId?: number | null; issuerId?: number | null; holderId?: number | null; issuerIds?: readonly number[] }

/**
 * Whether a principal's scope covers an object: merchant roles see their merchant's objects,
 * issuer_ops its issuer's (an object of several issuers, e.g. a holder, lists them in `issuerIds`),
 * a cardholder only what names its holder; the platform-wide roles all.
 */
export function inScope(p: Principal, owner: Owner): boolean {
  switch (p.role) {
    case 'merchant_admin':
    case 'merchant_operator':
      return owner.merchantId !== undefined && owner.merchantId === p.merchantId;
    case 'issuer_ops':
      return (owner.issuerId !== undefined && owner.issuerId === p.issuerId) || (p.issuerId !== null && (owner.issuerIds ?? []).includes(p.issuerId));
    case 'cardholder':
      return owner.holderId !== undefined && owner.holderId !== null && owner.holderId === p.holderId;
    default:
      return true;
  }
}

/** The list filter of a principal: the merchant or issuer a scoped role is confined to. */
export function scopeFilter(p: Principal): { merchantId: number | null; issuerId: number | null } {
  if (p.role === 'merchant_admin' || p.role === 'merchant_operator') return { merchantId: p.merchantId, issuerId: null };
  if (p.role === 'issuer_ops') return { merchantId: null, issuerId: p.issuerId };
  return { merchantId: null, issuerId: null };
}
