import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import { formatMoney } from '../../shared/money.ts';
import type { Product } from '../../shared/types.ts';

export function ProductPage({ sku, initial }: { sku: string; initial?: Product }) {
  const [product, setProduct] = useState<Product | undefined>(initial?.sku === sku ? initial : undefined);
  useEffect(() => {
    if (product?.sku === sku) return;
    request<Product>(`/products/${encodeURIComponent(sku)}`, { auth: false }).then(
      setProduct,
      () => undefined,
    );
  }, [sku]);
  if (!product) return <p>Loading…</p>;
  return (
    <article>
      <h1>{product.title}</h1>
      <p>{formatMoney(product.price)}</p>
      <p>{product.description}</p>
    </article>
  );
}
