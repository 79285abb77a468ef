import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const migrateCli = (env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/migrate.ts'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('npm run migrate', () => {
  it('applies every migration once to an embedded database, then has nothing to apply', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'migrate-cli-')), 'data');
    const first = await migrateCli({ DATA_DIR: dir });
    expect(first.code).toBe(0);
    const files = readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(first.stdout.trim()).toBe(`migrations applied: ${files.sort().join(', ')}`);
    expect(await migrateCli({ DATA_DIR: dir })).toMatchObject({
      code: 0,
      stdout: 'migrations: nothing to apply\n',
    });
  }, 60_000);

  it('explains a bad setting and exits 2', async () => {
    expect(await migrateCli({ DATABASE_URL: 'mysql://nope' })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/DATABASE_URL: must be a postgres:\/\/ URL/),
    });
  });
});
