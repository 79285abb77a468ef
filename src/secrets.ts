import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A random secret kept in a file readable only by its owner; made on first use. With the in-memory
 * database (`memory://`) nothing is kept on disk, so neither is the secret: it lasts as long as the process.
 */
export async function loadOrCreateSecret(dir: string, name: string): Promise<string> {
  if (dir === 'memory://') return randomBytes(48).toString('base64url');
  const file = join(dir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(dir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    // 'wx': if another process created it meanwhile, keep theirs.
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}
