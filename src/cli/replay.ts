// Rebuilds projections from position 0 while the platform keeps serving (build beside and swap).
//   npm run replay -- <projection|all>     npm run replay -- --list
// Opens the database as the platform does (DATABASE_URL, else the PGlite database under DATA_DIR: stop
// the embedded server first, PGlite allows one process at a time). Exit codes: 0 done, 1 failed,
// 2 bad arguments.
import { ConfigError, loadConfig } from '../config.ts';
import { openPlatform, type Platform } from '../platform.ts';

const USAGE = `usage: npm run replay -- <projection|all>
       npm run replay -- --list`;

type Args = { kind: 'list' } | { kind: 'help' } | { kind: 'rebuild'; target: string };

function parseArgs(argv: readonly string[]): Args | string {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help' };
  if (args.length === 1 && args[0] === '--list') return { kind: 'list' };
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) return `unknown option ${unknown}`;
  if (args.length === 0) return 'name a projection to rebuild, or all';
  if (args.length > 1) return `one projection at a time (or all), not ${args.join(' ')}`;
  return { kind: 'rebuild', target: args[0]! };
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const duration = (seconds: number) => {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
};

/** A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(events: number, total: number, force = false) {
    const now = performance.now();
    const every = this.out.isTTY ? 100 : 2_000;
    if (!force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? events / seconds : 0;
    const fraction = total > 0 ? Math.min(1, events / total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line =
      `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ` +
      `${number.format(events)}/${number.format(total)} events  ${number.format(rate)} events/s  ` +
      `ETA ${rate > 0 ? duration(Math.max(0, total - events) / rate) : '--'}`;
    this.out.write(this.out.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  finish(events: number, total: number) {
    this.update(events, Math.max(total, events), true);
    if (this.out.isTTY) this.out.write('\n');
  }
}

async function rebuild(platform: Platform, name: string) {
  const bar = new ProgressBar(name);
  let last = { events: 0, total: 0 };
  const started = performance.now();
  await platform.projections.rebuild(name, (progress) => {
    last = progress;
    bar.update(progress.events, progress.total);
  });
  bar.finish(last.events, last.total);
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `${name}: rebuilt from ${number.format(last.events)} events in ${seconds.toFixed(1)} s ` +
      `(${number.format(last.events / Math.max(seconds, 1e-3))} events/s) and swapped in\n`,
  );
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`replay: ${args}\n${USAGE}\n`);
    return 2;
  }
  if (args.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig({ LOG_LEVEL: 'silent', ...process.env });
  const platform = await openPlatform(config);
  try {
    const { projections } = platform;
    if (args.kind === 'list') {
      for (const name of projections.names()) {
        const refusal = projections.refusal(name);
        process.stdout.write(refusal ? `${name}  (not rebuildable: ${refusal})\n` : `${name}\n`);
      }
      return 0;
    }
    const rebuildable = projections.rebuildable.map((p) => p.name);
    if (args.target === 'all') {
      for (const name of projections.names().filter((n) => projections.refusal(n)))
        process.stderr.write(`${name}: skipped, ${projections.refusal(name)}\n`);
      for (const name of rebuildable) await rebuild(platform, name);
      return 0;
    }
    const refusal = projections.refusal(args.target);
    if (refusal) {
      process.stderr.write(`replay: ${args.target} may not be rebuilt: ${refusal}\n`);
      return 2;
    }
    if (!rebuildable.includes(args.target)) {
      process.stderr.write(
        `replay: no projection is called ${args.target}; rebuildable: ${rebuildable.join(', ')}, or all\n${USAGE}\n`,
      );
      return 2;
    }
    await rebuild(platform, args.target);
    return 0;
  } finally {
    await platform.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(
    `\nreplay failed: ${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  process.exitCode = 1;
}
