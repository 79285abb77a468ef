import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import {
  Done,
  Field,
  PageTitle,
  ProblemAlert,
  Show,
  TableScroll,
  formatTime,
  submitting,
  useAction,
  useLoad,
  withQuery,
} from '../ui.tsx';

type Mode = 'auto' | 'on' | 'off';

/** One SKU's gate, as `GET /admin/gate` answers it. */
type Gate = Readonly<{
  sku: string;
  mode: Mode;
  on: boolean;
  reason: 'switched-on' | 'switched-off' | 'hot' | 'not-hot' | 'never-by-itself';
  checkoutsPerSecond: number;
  hotSince: string | null;
  hotUntil: string | null;
  switchedBy: string | null;
  switchedAt: string | null;
  available: number | null;
  admittedUnreserved: number;
  remaining: number | null;
  admitted: number;
  refused: number;
}>;

type Gates = Readonly<{ hotCheckoutsPerSecond: number; hotHoldSeconds: number; items: readonly Gate[] }>;

const MODES: readonly { mode: Mode; label: string; short: string }[] = [
  { mode: 'auto', label: 'Auto (on while hot)', short: 'Auto' },
  { mode: 'on', label: 'On', short: 'On' },
  { mode: 'off', label: 'Off', short: 'Off' },
];

function why(gate: Gate, threshold: number): string {
  const by = gate.switchedBy ? ` by ${gate.switchedBy}` : '';
  const at = gate.switchedAt ? `, ${formatTime(gate.switchedAt)}` : '';
  switch (gate.reason) {
    case 'switched-on':
      return `Switched on${by}${at}`;
    case 'switched-off':
      return `Switched off${by}${at}`;
    case 'hot':
      return (
        `Hot since ${gate.hotSince ? formatTime(gate.hotSince) : 'a moment ago'}; ` +
        `stays on until ${gate.hotUntil ? formatTime(gate.hotUntil) : 'it cools'} unless still hot`
      );
    case 'not-hot':
      return `Not hot: turns on at ${threshold} checkouts a second`;
    case 'never-by-itself':
      return 'Turns on only when an admin switches it on';
  }
}

/**
 * The flash-sale gate per SKU: on or off and why, what it admitted and refused, what it may still
 * admit; admins switch a SKU's gate on, off or back to auto.
 */
export function GatePage({ admin }: { admin: boolean }) {
  const loaded = useLoad((signal) => request<Gates>('/admin/gate', { signal }), 'all');
  const [auto, setAuto] = useState(true);
  const { reload } = loaded;
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [auto, reload]);

  return (
    <>
      <PageTitle title="Flash sales">Flash-sale gate</PageTitle>
      <p>
        While a SKU&apos;s gate is on, a checkout of it is admitted only while stock is left for it; the
        others are told at once that it sold out, and nothing is recorded for them. The stock itself still
        decides every reservation: an admitted order can still be cancelled for stock.
      </p>
      {admin && <SwitchForm onSwitched={reload} />}
      <div class="toolbar">
        <label class="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} /> Refresh
          every 2 seconds
        </label>
        <button type="button" class="secondary" onClick={reload} disabled={loaded.loading}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <Show loaded={loaded} what="Loading the gates">
        {(gates) =>
          gates.items.length === 0 ? (
            <p class="muted">
              No SKU is hot or switched now. A gate turns on by itself at{' '}
              {gates.hotCheckoutsPerSecond > 0
                ? `${gates.hotCheckoutsPerSecond} checkouts a second`
                : 'an admin’s switch only'}
              .
            </p>
          ) : (
            <TableScroll label="Flash-sale gates">
              <table>
                <caption>
                  On by itself at {gates.hotCheckoutsPerSecond} checkouts a second, for {gates.hotHoldSeconds}{' '}
                  s after the last
                </caption>
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col">Gate</th>
                    <th scope="col">Why</th>
                    <th scope="col" class="num">
                      Checkouts/s
                    </th>
                    <th scope="col" class="num">
                      Available
                    </th>
                    <th scope="col" class="num">
                      Admitted, not reserved yet
                    </th>
                    <th scope="col" class="num">
                      Remaining
                    </th>
                    <th scope="col" class="num">
                      Admitted
                    </th>
                    <th scope="col" class="num">
                      Refused
                    </th>
                    {admin && <th scope="col">Switch</th>}
                  </tr>
                </thead>
                <tbody>
                  {gates.items.map((gate) => (
                    <tr key={gate.sku}>
                      <th scope="row" class="nowrap">
                        <a href={withQuery('/console/inventory', { sku: gate.sku })}>{gate.sku}</a>
                      </th>
                      <td>
                        <span class={gate.on ? 'badge status-pending' : 'badge'}>
                          {gate.on ? 'On' : 'Off'}
                        </span>
                      </td>
                      <td>{why(gate, gates.hotCheckoutsPerSecond)}</td>
                      <td class="num">{gate.checkoutsPerSecond}</td>
                      <td class="num">{gate.available ?? '—'}</td>
                      <td class="num">{gate.admittedUnreserved}</td>
                      <td class="num">{gate.remaining ?? 'not counted yet'}</td>
                      <td class="num">{gate.admitted}</td>
                      <td class="num">{gate.refused}</td>
                      {admin && (
                        <td>
                          <RowSwitch gate={gate} onSwitched={reload} />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </Show>
    </>
  );
}

const switchGate = (sku: string, mode: Mode) =>
  request<Gate>(`/admin/gate/${encodeURIComponent(sku)}`, { method: 'PUT', body: { mode } });

const switched = (gate: Gate) =>
  `The gate of ${gate.sku} is ${gate.mode === 'auto' ? 'on auto' : `switched ${gate.mode}`} (${gate.on ? 'on' : 'off'} now).`;

/** Switches any SKU's gate, listed or not: on before a sale starts, say. */
function SwitchForm({ onSwitched }: { onSwitched: () => void }) {
  const [sku, setSku] = useState('');
  const [mode, setMode] = useState<Mode>('on');
  const action = useAction();
  return (
    <section aria-labelledby="switch-heading">
      <h2 id="switch-heading">Switch a SKU&apos;s gate</h2>
      <form
        class="inline-form"
        onSubmit={submitting(() =>
          action.run(async () => {
            const gate = await switchGate(sku.trim(), mode);
            onSwitched();
            return switched(gate);
          }),
        )}
      >
        <Field id="gate-sku" label="SKU">
          <input
            id="gate-sku"
            required
            autoComplete="off"
            maxLength={64}
            value={sku}
            onInput={(e) => setSku(e.currentTarget.value)}
          />
        </Field>
        <Field id="gate-mode" label="Gate">
          <select id="gate-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
            {MODES.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={action.busy}>
          Set gate
        </button>
      </form>
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
    </section>
  );
}

function RowSwitch({ gate, onSwitched }: { gate: Gate; onSwitched: () => void }) {
  const [mode, setMode] = useState<Mode>(gate.mode);
  useEffect(() => setMode(gate.mode), [gate.mode]);
  const action = useAction();
  return (
    <form
      onSubmit={submitting(() =>
        action.run(async () => {
          await switchGate(gate.sku, mode);
          onSwitched();
        }),
      )}
    >
      <div class="actions">
        <select
          aria-label={`Gate of ${gate.sku}`}
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value as Mode)}
        >
          {MODES.map((m) => (
            <option key={m.mode} value={m.mode}>
              {m.short}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary" aria-label={`Set gate of ${gate.sku}`} disabled={action.busy}>
          Set
        </button>
      </div>
      <ProblemAlert error={action.error} />
    </form>
  );
}
