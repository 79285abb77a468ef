import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecret } from '../../src/secrets.ts';

describe('secrets', () => {
  it('keeps a secret in a file only its owner reads, and answers the same one next time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    const first = await loadOrCreateSecret(dir, 'jwt-secret');
    expect(first).toMatch(/^[\w-]{64}$/);
    expect(await loadOrCreateSecret(dir, 'jwt-secret')).toBe(first);
    expect((await readFile(join(dir, 'jwt-secret'), 'utf8')).trim()).toBe(first);
    expect((await stat(join(dir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
  });

  it('writes nothing to disk for the in-memory database', async () => {
    const secret = await loadOrCreateSecret('memory://', 'jwt-secret');
    expect(secret).toMatch(/^[\w-]{64}$/);
    expect(await loadOrCreateSecret('memory://', 'jwt-secret')).not.toBe(secret);
    expect(existsSync('memory:')).toBe(false);
  });
});
