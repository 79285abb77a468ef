import { useEffect, useRef, useState } from 'preact/hooks';

export type ChartPoint = Readonly<{ at: string; value: number | null }>;

type ChartProps = Readonly<{
  id: string;
  title: string;
  /** What the chart shows, in words (read by screen readers as the image's description). */
  description: string;
  points: readonly ChartPoint[];
  kind: 'bars' | 'line';
  /** The top of the scale; by default the largest value (at least 1). */
  max?: number;
  format: (value: number) => string;
  formatTime: (at: string) => string;
  tone: 'blue' | 'green' | 'amber';
}>;

const HEIGHT = 200;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 52 };

/** The width the chart has on the page, followed as it changes (drawn at one unit per pixel, so text stays legible). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(240, Math.floor(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/**
 * A plain SVG chart (no library): bars for counts, a line for ratios (broken where there is no value).
 * The SVG is one image named by its title and described in words; each mark has a title for pointer
 * users, and the page gives the numbers as a table.
 */
export function Chart(props: ChartProps) {
  const { ref, width } = useWidth(640);
  const { points, kind } = props;
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  const max = props.max ?? Math.max(1, ...values);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const step = plotWidth / Math.max(points.length, 1);
  const x = (i: number) => MARGIN.left + i * step + step / 2;
  const y = (value: number) => MARGIN.top + plotHeight - (value / max) * plotHeight;
  const ticks = [0, max / 2, max];
  const labelled = points.length > 0 ? [0, Math.floor((points.length - 1) / 2), points.length - 1] : [];

  let path = '';
  if (kind === 'line') {
    let pen = false;
    points.forEach((p, i) => {
      if (p.value === null) {
        pen = false;
        return;
      }
      path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(p.value).toFixed(1)} `;
      pen = true;
    });
  }

  return (
    <figure class="chart" aria-labelledby={`${props.id}-caption`}>
      <figcaption id={`${props.id}-caption`}>{props.title}</figcaption>
      <div ref={ref} class="chart-box">
        <svg
          role="img"
          aria-labelledby={`${props.id}-title`}
          aria-describedby={`${props.id}-summary`}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          width={width}
          height={HEIGHT}
          class={`chart-svg tone-${props.tone}`}
        >
          <title id={`${props.id}-title`}>{props.title}</title>
          <desc id={`${props.id}-desc`}>{props.description}</desc>
          {ticks.map((tick, i) => (
            <g key={i} class="tick">
              <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(tick)} y2={y(tick)} class="grid" />
              <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" text-anchor="end" class="axis-label">
                {props.format(tick)}
              </text>
            </g>
          ))}
          {labelled.map((i, n) => (
            <text
              key={`x${n}`}
              x={x(i)}
              y={HEIGHT - 8}
              text-anchor={n === 0 ? 'start' : n === 2 ? 'end' : 'middle'}
              class="axis-label"
            >
              {props.formatTime(points[i]!.at)}
            </text>
          ))}
          {kind === 'bars' &&
            points.map((p, i) =>
              p.value === null ? null : (
                <rect
                  key={p.at}
                  class="mark"
                  x={x(i) - (step * 0.8) / 2}
                  width={Math.max(1, step * 0.8)}
                  y={y(p.value)}
                  height={Math.max(0, MARGIN.top + plotHeight - y(p.value))}
                >
                  <title>{`${props.formatTime(p.at)}: ${props.format(p.value)}`}</title>
                </rect>
              ),
            )}
          {kind === 'line' && (
            <>
              <path d={path} class="line" fill="none" />
              {points.map((p, i) =>
                p.value === null ? null : (
                  <circle key={p.at} class="mark" cx={x(i)} cy={y(p.value)} r={points.length > 80 ? 2 : 3}>
                    <title>{`${props.formatTime(p.at)}: ${props.format(p.value)}`}</title>
                  </circle>
                ),
              )}
            </>
          )}
          <line
            class="axis"
            x1={MARGIN.left}
            x2={width - MARGIN.right}
            y1={MARGIN.top + plotHeight}
            y2={MARGIN.top + plotHeight}
          />
        </svg>
      </div>
      <p class="chart-summary" id={`${props.id}-summary`}>
        {props.description}
      </p>
    </figure>
  );
}
