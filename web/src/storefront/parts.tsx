import { formatMoney } from '../shared/money.ts';
import type { Money } from '../shared/types.ts';

/** Few enough left to say how many ("Only 3 left"): the API's own low-stock threshold. */
export const FEW_LEFT = 5;

export function availabilityText(available: number): string {
  if (available <= 0) return 'Sold out';
  if (available <= FEW_LEFT) return `Only ${available} left`;
  return 'In stock';
}

export function Availability({ available, class: extra }: { available: number; class?: string }) {
  const tone = available <= 0 ? 'sold-out' : available <= FEW_LEFT ? 'few' : 'in-stock';
  return (
    <span class={`availability availability--${tone}${extra ? ` ${extra}` : ''}`}>
      {availabilityText(available)}
    </span>
  );
}

const KNOWN_ART = new Set(['apparel', 'books', 'headphones', 'kitchen', 'laptops', 'toys']);

/** A stable small number from a SKU: the same product always gets the same tint. */
function tintOf(sku: string): number {
  let hash = 0;
  for (let i = 0; i < sku.length; i++) hash = (hash * 31 + sku.charCodeAt(i)) | 0;
  return Math.abs(hash) % 6;
}

/**
 * The product's picture, until products have pictures: a tinted panel with a line drawing of its
 * category, all in CSS (classes only: the content security policy allows no inline style).
 */
export function ProductArt({ sku, category, size }: { sku: string; category: string; size?: 'small' }) {
  const kind = category.toLowerCase().replace(/[^a-z]+/g, '-');
  const art = KNOWN_ART.has(kind) ? kind : 'other';
  return (
    <div class={`art art--${art} tint-${tintOf(sku)}${size ? ` art--${size}` : ''}`} aria-hidden="true">
      <span class="art-shape" />
    </div>
  );
}

export const Price = ({ money, class: extra }: { money: Money; class?: string }) => (
  <span class={`price${extra ? ` ${extra}` : ''}`}>{formatMoney(money)}</span>
);

/** Whole amounts without cents (`$500`), for price ranges. */
export function roundMoney(amount: number, currency: string): string {
  const text = formatMoney({ amount, currency });
  return amount % 100 === 0 ? text.replace(/\.00$/, '') : text;
}
