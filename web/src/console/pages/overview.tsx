import { request } from '../../shared/api.ts';
import type { Paged, ProjectionsAnswer } from '../types.ts';
import { PageTitle, Show, useLoad } from '../ui.tsx';

type Numbers = Readonly<{ toShip: number; returns: number; orders: number; behind?: number }>;

/** What needs doing: orders to ship, returns to receive, projections behind. */
export function Overview({ admin }: { admin: boolean }) {
  const loaded = useLoad<Numbers>(async (signal) => {
    const count = (path: string) => request<Paged<unknown>>(path, { signal }).then((page) => page.total);
    const [toShip, returns, orders, projections] = await Promise.all([
      count('/admin/orders?status=confirmed&pageSize=1'),
      count('/admin/returns?status=requested&pageSize=1'),
      count('/admin/orders?pageSize=1'),
      admin ? request<ProjectionsAnswer>('/admin/projections', { signal }) : undefined,
    ]);
    return {
      toShip,
      returns,
      orders,
      ...(projections ? { behind: projections.projections.filter((p) => p.behind).length } : {}),
    };
  }, String(admin));
  return (
    <>
      <PageTitle title="Overview">Overview</PageTitle>
      <Show loaded={loaded} what="Counting">
        {(n) => (
          <ul class="tiles">
            <li>
              <a href="/console/orders?status=confirmed">
                <strong>{n.toShip}</strong> {n.toShip === 1 ? 'order' : 'orders'} confirmed, not shipped
              </a>
            </li>
            <li>
              <a href="/console/returns?status=requested">
                <strong>{n.returns}</strong> {n.returns === 1 ? 'return' : 'returns'} to receive
              </a>
            </li>
            <li>
              <a href="/console/orders">
                <strong>{n.orders}</strong> {n.orders === 1 ? 'order' : 'orders'} in all
              </a>
            </li>
            {n.behind !== undefined && (
              <li>
                <a href="/console/projections">
                  <strong>{n.behind}</strong> {n.behind === 1 ? 'projection' : 'projections'} behind
                </a>
              </li>
            )}
            {!admin && (
              <li>
                <a href="/console/audit">
                  <strong>Audit</strong> an event stream
                </a>
              </li>
            )}
          </ul>
        )}
      </Show>
    </>
  );
}
