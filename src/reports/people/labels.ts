/** Names of entry kinds for people (a statement's type column, a journal voucher's summary). */
const KINDS: Record<string, { en: string; zh: string }> = {
  bulk_load: { en: 'bulk load', zh: '批量充值' },
  card_fee: { en: 'card fee', zh: '卡费' },
  activate: { en: 'activation', zh: '激活' },
  load: { en: 'load', zh: '充值' },
  purchase: { en: 'purchase', zh: '消费' },
  capture: { en: 'capture', zh: '预授权完成' },
  refund: { en: 'refund', zh: '退货' },
  void: { en: 'void', zh: '撤销' },
  reversal: { en: 'reversal', zh: '冲正' },
  points_earn: { en: 'points earned', zh: '积分奖励' },
  points_redeem: { en: 'points redeemed', zh: '积分兑换' },
  points_load: { en: 'points sold', zh: '积分购买' },
  points_exchange: { en: 'points exchange', zh: '积分互换' },
  points_clawback: { en: 'points claw-back', zh: '积分追回' },
  points_expiry: { en: 'points expiry', zh: '积分过期' },
  points_revaluation: { en: 'points revaluation', zh: '积分重估' },
  lottery: { en: 'lottery', zh: '抽奖' },
  lottery_prize: { en: 'lottery prize', zh: '抽奖奖品' },
  replacement: { en: 'card replacement', zh: '换卡' },
  cash_out: { en: 'cash-out', zh: '赎回' },
  dormancy_fee: { en: 'dormancy fee', zh: '休眠费' },
  breakage: { en: 'breakage', zh: '沉淀收入' },
  breakage_reversal: { en: 'breakage reversal', zh: '沉淀冲回' },
  escheat: { en: 'unclaimed property', zh: '无人认领资金' },
  breakage_memo: { en: 'breakage (ASC 606 memo)', zh: '沉淀预估（备查）' },
  settlement: { en: 'settlement', zh: '结算' },
  payment: { en: 'payment', zh: '付款' },
  adjustment: { en: 'manual adjustment', zh: '手工调整' },
};

/** An entry kind's name in `lang` (the kind itself when it has none yet). */
export function kindName(kind: string, lang: 'zh' | 'en'): string {
  return KINDS[kind]?.[lang] ?? kind;
}
