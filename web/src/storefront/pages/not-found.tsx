import { useTitle } from '../hooks.ts';

export function NotFound({ what = 'page' }: { what?: 'page' | 'product' | 'order' }) {
  useTitle('Not found');
  const text =
    what === 'product'
      ? 'This product is not in the catalog (any more).'
      : what === 'order'
        ? 'There is no order of yours at this address.'
        : 'Nothing lives at this address.';
  return (
    <section class="narrow">
      <h1>
        {what === 'page' ? 'Page not found' : what === 'product' ? 'Product not found' : 'Order not found'}
      </h1>
      <p>
        {text} <a href="/">Back to the shop</a>.
      </p>
    </section>
  );
}
