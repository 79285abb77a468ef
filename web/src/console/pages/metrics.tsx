import { request } from '../../shared/api.ts';
import { navigate } from '../../shared/router.ts';
import type { BusinessPoint, BusinessSeries } from '../types.ts';
import { Field, PageTitle, Show, TableScroll, useLoad, withQuery } from '../ui.tsx';
import { Chart } from './chart.tsx';

const MINUTE = 60;
const HOUR = 3600;
/** Ranges offered, each with a step that keeps the chart under about a hundred buckets. */
const RANGES = [
  { value: '1h', label: 'Last hour', seconds: HOUR, step: MINUTE },
  { value: '6h', label: 'Last 6 hours', seconds: 6 * HOUR, step: 5 * MINUTE },
  { value: '24h', label: 'Last 24 hours', seconds: 24 * HOUR, step: 15 * MINUTE },
  { value: '7d', label: 'Last 7 days', seconds: 7 * 24 * HOUR, step: 2 * HOUR },
  { value: '30d', label: 'Last 30 days', seconds: 30 * 24 * HOUR, step: 8 * HOUR },
] as const;

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const perMinute = (value: number) => (value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1));

/** Orders per minute, order success rate and cart abandonment over time (`GET /admin/metrics/business`). */
export function MetricsPage({ query }: { query: URLSearchParams }) {
  const range = RANGES.find((r) => r.value === query.get('range')) ?? RANGES[0];
  const loaded = useLoad(async (signal) => {
    // Buckets aligned to the step, the last one holding now.
    const stepMs = range.step * 1000;
    const to = Math.ceil((Date.now() + 1) / stepMs) * stepMs;
    const from = to - range.seconds * 1000;
    const address = withQuery('/admin/metrics/business', {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      step: String(range.step),
    });
    return request<BusinessSeries>(address, { signal });
  }, range.value);

  const long = range.seconds > 24 * HOUR;
  const timeFormat = new Intl.DateTimeFormat(
    'en-US',
    long ? { month: 'short', day: 'numeric', hour: 'numeric' } : { hour: '2-digit', minute: '2-digit' },
  );
  const time = (at: string) => timeFormat.format(new Date(at));

  return (
    <>
      <PageTitle title="Metrics">Business metrics</PageTitle>
      <div class="toolbar">
        <Field id="metrics-range" label="Time range">
          <select
            id="metrics-range"
            value={range.value}
            onChange={(e) => navigate(withQuery('/console/metrics', { range: e.currentTarget.value }))}
          >
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <button type="button" class="secondary" onClick={loaded.reload} disabled={loaded.loading}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <Show loaded={loaded} what="Loading metrics">
        {(answer) => <Charts answer={answer} time={time} rangeLabel={range.label.toLowerCase()} />}
      </Show>
    </>
  );
}

function describeRatio(
  series: readonly BusinessPoint[],
  pick: (p: BusinessPoint) => number | null,
  what: string,
  time: (at: string) => string,
) {
  const known = series.filter((p) => pick(p) !== null);
  if (known.length === 0) return `No ${what} to show in this range.`;
  const last = known.at(-1)!;
  const low = known.reduce((a, b) => (pick(b)! < pick(a)! ? b : a));
  const high = known.reduce((a, b) => (pick(b)! > pick(a)! ? b : a));
  return (
    `Latest ${percent(pick(last)!)} at ${time(last.at)}; lowest ${percent(pick(low)!)} at ${time(low.at)}, ` +
    `highest ${percent(pick(high)!)} at ${time(high.at)}.`
  );
}

function Charts({
  answer,
  time,
  rangeLabel,
}: {
  answer: BusinessSeries;
  time: (at: string) => string;
  rangeLabel: string;
}) {
  const { series, stepSeconds } = answer;
  const minutes = stepSeconds / 60;
  const rate = (p: BusinessPoint) => p.placed / minutes;
  const placed = series.reduce((n, p) => n + p.placed, 0);
  const confirmed = series.reduce((n, p) => n + p.confirmed, 0);
  const cancelled = series.reduce((n, p) => n + p.cancelled, 0);
  const busiest = series.reduce<BusinessPoint | undefined>(
    (a, b) => (!a || rate(b) > rate(a) ? b : a),
    undefined,
  );
  const ordersText =
    placed === 0
      ? `No orders placed in the ${rangeLabel}.`
      : `${placed} orders placed in the ${rangeLabel} (${confirmed} confirmed, ${cancelled} cancelled); ` +
        `busiest ${perMinute(rate(busiest!))} per minute at ${time(busiest!.at)}.`;

  return (
    <>
      <div class="charts">
        <Chart
          id="chart-orders"
          title="Orders per minute"
          description={ordersText}
          points={series.map((p) => ({ at: p.at, value: rate(p) }))}
          kind="bars"
          format={perMinute}
          formatTime={time}
          tone="blue"
        />
        <Chart
          id="chart-success"
          title="Order success rate"
          description={`Share of orders decided that were confirmed. ${describeRatio(series, (p) => p.successRatio, 'decided orders', time)}`}
          points={series.map((p) => ({ at: p.at, value: p.successRatio }))}
          kind="line"
          max={1}
          format={percent}
          formatTime={time}
          tone="green"
        />
        <Chart
          id="chart-abandonment"
          title="Cart abandonment"
          description={`Share of carts started that were not checked out. ${describeRatio(series, (p) => p.cartAbandonment, 'carts', time)}`}
          points={series.map((p) => ({ at: p.at, value: p.cartAbandonment }))}
          kind="line"
          max={1}
          format={percent}
          formatTime={time}
          tone="amber"
        />
      </div>
      <details class="numbers">
        <summary>The numbers, as a table</summary>
        <TableScroll label="Business metrics per bucket">
          <table>
            <caption>
              Per {minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`}, from {time(answer.from)} to{' '}
              {time(answer.to)}
            </caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col" class="num">
                  Placed
                </th>
                <th scope="col" class="num">
                  Per minute
                </th>
                <th scope="col" class="num">
                  Confirmed
                </th>
                <th scope="col" class="num">
                  Cancelled
                </th>
                <th scope="col" class="num">
                  Success rate
                </th>
                <th scope="col" class="num">
                  Carts started
                </th>
                <th scope="col" class="num">
                  Abandonment
                </th>
              </tr>
            </thead>
            <tbody>
              {series.map((p) => (
                <tr key={p.at}>
                  <th scope="row">{time(p.at)}</th>
                  <td class="num">{p.placed}</td>
                  <td class="num">{perMinute(rate(p))}</td>
                  <td class="num">{p.confirmed}</td>
                  <td class="num">{p.cancelled}</td>
                  <td class="num">{p.successRatio === null ? '—' : percent(p.successRatio)}</td>
                  <td class="num">{p.cartsStarted}</td>
                  <td class="num">{p.cartAbandonment === null ? '—' : percent(p.cartAbandonment)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </>
  );
}
