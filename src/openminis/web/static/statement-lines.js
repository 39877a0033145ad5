// The lines of a statement (payments/statements.py), as the console and /admin show them: every
// line that makes up its net, so that what is shown adds up. The console showed gross, fee,
// commission, refunds and net, and the fee refunded and the coupons were missing from the sum
// (a probe, dev52). Net = gross + platform coupons − fee − commission − refunds + fee refunded +
// commission clawed back − paid out + other; a developer's coupons are already out of gross (what people paid),
// while the fee is on the list price.
// @ts-check

/** Each line: its field, its label in the console, its column's heading in /admin's table.
 * @type {[string, string, string][]} */
export const STATEMENT_LINES = [
  ["gross", "Gross: what people paid (coins)", "Gross (coins)"],
  ["platform_coupons", "Platform coupons: paid by the platform", "Platform coupons"],
  ["platform_fee", "Platform fee, on list prices", "Platform fee"],
  ["creator_commission", "Creator commission", "Creator commission"],
  ["refunds", "Refunds", "Refunds"],
  ["refunded_fee", "Fee refunded", "Fee refunded"],
  ["refunded_commission", "Commission clawed back", "Commission clawed back"],
  ["paid_out", "Paid out to you (payouts)", "Paid out"],
  ["other", "Other movements", "Other"],
  ["net", "Net (coins)", "Net (coins)"],
  ["developer_coupons", "Your coupons took off (already out of gross)", "Developer coupons"],
];
