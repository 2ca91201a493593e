/**
 * Money as the decimal strings some platforms require (Pinterest `value`, LinkedIn `amount`):
 * the currency's minor-unit digits, never exponent notation or float noise.
 */

/**
 * Minor-unit digits of an ISO 4217 currency from ICU's data (EUR 2, JPY 0, KWD 3); 2 when the
 * currency is absent or not a well-formed code. The locale does not change these digits.
 */
export function currencyFractionDigits(currency: string | undefined): number {
  if (currency === undefined) return 2;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * How an amount is rounded to the currency's digits. The two give different strings for some
 * inputs, so each platform keeps the one it was built and tested with:
 * - 'decimal' (Pinterest): ICU rounds the shortest decimal form of the number half away from
 *   zero, with no grouping and no exponent: 1.005 → "1.01", 0.145 → "0.15", -0.125 → "-0.13".
 * - 'scaled' (LinkedIn): Math.round(amount × 10^digits) / 10^digits, then toFixed, i.e. binary
 *   rounding half toward +∞: 1.005 → "1.00", 0.145 → "0.14", -0.125 → "-0.12".
 */
export type MoneyRounding = 'decimal' | 'scaled';

/** `amount` as a decimal string with `currency`'s minor-unit digits: 59.9 EUR → "59.90", 1500 JPY → "1500". */
export function formatMoney(amount: number, currency: string | undefined, rounding: MoneyRounding): string {
  const digits = currencyFractionDigits(currency);
  if (rounding === 'scaled') {
    const factor = 10 ** digits;
    return (Math.round(amount * factor) / factor).toFixed(digits);
  }
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(amount);
}
