import { request } from '../../shared/api.ts';
import type { Paged, ProjectionsAnswer } from '../types.ts';
import { PageTitle, Show, useLoad } from '../ui.tsx';

type Numbers = Readonly<{
  toShip: number;
  returns: number;
  orders: number;
  behind?: number;
  projections?: number;
}>;

/**
 * What needs doing: orders to ship, returns to receive, projections behind. The links name the
 * numbers, not the sections, so that each section's name belongs to its navigation link alone.
 */
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
      ...(projections
        ? {
            behind: projections.projections.filter((p) => p.behind).length,
            projections: projections.projections.length,
          }
        : {}),
    };
  }, String(admin));
  return (
    <>
      <PageTitle title="Overview">Overview</PageTitle>
      <Show loaded={loaded} what="Counting">
        {(n) => (
          <dl class="tiles">
            <div>
              <dt>To ship</dt>
              <dd>
                <a href="/console/orders?status=confirmed">{`${n.toShip} confirmed, not shipped`}</a>
              </dd>
            </div>
            <div>
              <dt>To receive</dt>
              <dd>
                <a href="/console/returns?status=requested">{`${n.returns} waiting`}</a>
              </dd>
            </div>
            <div>
              <dt>Placed</dt>
              <dd>
                <a href="/console/orders">{`${n.orders} in all`}</a>
              </dd>
            </div>
            {n.behind !== undefined && (
              <div>
                <dt>Read models behind</dt>
                <dd>
                  <a href="/console/projections">{`${n.behind} of ${n.projections ?? 0}`}</a>
                </dd>
              </div>
            )}
          </dl>
        )}
      </Show>
      {!admin && (
        <p>
          As an auditor you read orders, returns and stock, and check the event log’s hash chains (the
          navigation’s last link).
        </p>
      )}
    </>
  );
}
