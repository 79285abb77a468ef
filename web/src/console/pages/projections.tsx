import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.ts';
import type { ProjectionRow, ProjectionsAnswer, RebuildStatus } from '../types.ts';
import { Done, PageTitle, ProblemAlert, Show, TableScroll, formatTime, useAction, useLoad } from '../ui.tsx';

const lagText = (seconds: number) =>
  seconds === 0 ? 'none' : seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;

function rebuildText(rebuild: RebuildStatus | undefined): string {
  if (!rebuild) return '—';
  const share = rebuild.total > 0 ? ` (${Math.floor((100 * rebuild.events) / rebuild.total)}%)` : '';
  if (rebuild.state === 'running') return `Running: ${rebuild.events} of ${rebuild.total} events${share}`;
  if (rebuild.state === 'failed')
    return `Failed ${formatTime(rebuild.finishedAt ?? rebuild.startedAt)}: ${rebuild.error ?? ''}`;
  return `Done ${formatTime(rebuild.finishedAt ?? rebuild.startedAt)}: ${rebuild.events} events`;
}

/** Each projection's checkpoint and lag; a rebuild from position 0 (409 while one runs). */
export function ProjectionsPage() {
  const loaded = useLoad((signal) => request<ProjectionsAnswer>('/admin/projections', { signal }), 'all');
  const action = useAction();
  const [auto, setAuto] = useState(true);
  const running = loaded.data?.projections.some((p) => p.rebuild?.state === 'running') ?? false;
  const { reload } = loaded;
  // Followed every second while a rebuild runs, else every five seconds when asked to.
  useEffect(() => {
    if (!auto && !running) return;
    const timer = setInterval(reload, running ? 1000 : 5000);
    return () => clearInterval(timer);
  }, [auto, running, reload]);

  const rebuild = (p: ProjectionRow) =>
    action.run(async () => {
      await request(`/admin/projections/${encodeURIComponent(p.name)}/rebuild`, { method: 'POST' });
      reload();
      return `Rebuild of ${p.name} started.`;
    });

  return (
    <>
      <PageTitle title="Projections">Projections</PageTitle>
      <p>
        Each read model follows the event log from its checkpoint. Lag is the age of the oldest event it has
        not applied yet.
      </p>
      <div class="toolbar">
        <label class="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} /> Refresh
          every 5 seconds
        </label>
        <button type="button" class="secondary" onClick={reload} disabled={loaded.loading}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
      <Show loaded={loaded} what="Loading projections">
        {(answer) => (
          <TableScroll label="Projections">
            <table>
              <caption>Lag bound: {answer.lagBoundMs / 1000} s</caption>
              <thead>
                <tr>
                  <th scope="col">Projection</th>
                  <th scope="col">Checkpoint</th>
                  <th scope="col" class="num">
                    Lag
                  </th>
                  <th scope="col">State</th>
                  <th scope="col">Last rebuild</th>
                  <th scope="col">Rebuild</th>
                </tr>
              </thead>
              <tbody>
                {answer.projections.map((p) => (
                  <tr key={p.name}>
                    <th scope="row" class="nowrap">
                      {p.name}
                    </th>
                    <td class="nowrap">
                      {p.checkpoint
                        ? `position ${p.checkpoint.globalPosition}, tx ${p.checkpoint.transactionId}`
                        : 'none yet'}
                    </td>
                    <td class="num">{lagText(p.lagSeconds)}</td>
                    <td>
                      <span class={p.behind ? 'badge bad' : 'badge good'}>
                        {p.behind ? 'Behind' : 'Caught up'}
                      </span>
                      {p.live ? '' : ' (not followed here)'}
                    </td>
                    <td>{rebuildText(p.rebuild)}</td>
                    <td>
                      {p.rebuildable ? (
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Rebuild ${p.name}`}
                          disabled={action.busy}
                          onClick={() => rebuild(p)}
                        >
                          Rebuild
                        </button>
                      ) : (
                        <details class="hint">
                          <summary>Not rebuildable</summary>
                          {p.refusal ?? 'Not rebuildable from here.'}
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Show>
    </>
  );
}
