import type { LoginAnswer, Problem, User } from './types.ts';

/** An answer the API refused: its problem document, for the page to explain. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type RequestOptions = Readonly<{
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Sent as `Idempotency-Key`: the same key again returns the same result. */
  idempotencyKey?: string;
  /** Send the signed-in user's token (refreshing it once if it has expired). Default: when signed in. */
  auth?: boolean;
  signal?: AbortSignal;
  accept?: string;
}>;

type Session = Readonly<{ token: string; refreshToken: string; expiresAt: number; user: User }>;

const SESSION_KEY = 'ec.session';
const listeners = new Set<() => void>();
let session: Session | undefined = readStoredSession();
let refreshing: Promise<boolean> | undefined;

function readStoredSession(): Session | undefined {
  if (typeof localStorage === 'undefined') return undefined;
  try {
    const stored = localStorage.getItem(SESSION_KEY);
    return stored ? (JSON.parse(stored) as Session) : undefined;
  } catch {
    return undefined;
  }
}

function setSession(next: Session | undefined): void {
  session = next;
  if (next) localStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else localStorage.removeItem(SESSION_KEY);
  for (const listener of [...listeners]) listener();
}

const fromLogin = (answer: LoginAnswer): Session => ({
  token: answer.token,
  refreshToken: answer.refreshToken,
  expiresAt: Date.now() + answer.expiresIn * 1000,
  user: answer.user,
});

/** The signed-in user, if any. */
export const currentUser = (): User | undefined => session?.user;

/** Called whenever someone signs in or out (in this tab or, through storage events, another). */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY) return;
    session = readStoredSession();
    for (const listener of [...listeners]) listener();
  });
}

/** A fresh access token, refreshing it when it is about to expire; undefined when signed out. */
export async function accessToken(): Promise<string | undefined> {
  if (!session) return undefined;
  if (session.expiresAt - Date.now() > 30_000) return session.token;
  return (await refresh()) ? session?.token : undefined;
}

/** One refresh at a time: a refresh token works once, so two at once would end the session. */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = session;
    if (!current) return false;
    try {
      const answer = await request<LoginAnswer>('/auth/refresh', {
        method: 'POST',
        body: { refreshToken: current.refreshToken },
        auth: false,
      });
      setSession(fromLogin(answer));
      return true;
    } catch (error) {
      // Refused (used, revoked, expired): signed out. A network failure keeps the session for later.
      if (error instanceof ApiError) setSession(undefined);
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

export async function signIn(email: string, password: string): Promise<User> {
  const answer = await request<LoginAnswer>('/auth/login', {
    method: 'POST',
    body: { email, password },
    auth: false,
  });
  setSession(fromLogin(answer));
  return answer.user;
}

/** Registers, then signs in with the same credentials. */
export async function register(email: string, password: string): Promise<User> {
  await request('/auth/register', { method: 'POST', body: { email, password }, auth: false });
  return signIn(email, password);
}

export async function signOut(): Promise<void> {
  const current = session;
  if (!current) return;
  try {
    await request('/auth/logout', { method: 'POST', body: { refreshToken: current.refreshToken } });
  } finally {
    setSession(undefined);
  }
}

/** The authorization header of the signed-in user (for a streamed `fetch`), refreshed if needed. */
export async function authorizationHeader(): Promise<Record<string, string>> {
  const token = await accessToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * Calls the API: JSON in and out, the problem document of a refusal thrown as `ApiError` (a network
 * failure as a problem with status 0). A 401 with a session refreshes the token once and retries.
 */
export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    if (options.auth !== false) Object.assign(headers, await authorizationHeader());
    return fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  };
  let response: Response;
  try {
    response = await send();
    if (response.status === 401 && options.auth !== false && session && (await refresh()))
      response = await send();
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError({
      title: 'The shop cannot be reached',
      status: 0,
      detail: 'Check your connection and try again.',
    });
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    const problem = type.includes('json')
      ? ((await response.json()) as Problem)
      : { title: response.statusText || 'Request failed', status: response.status };
    throw new ApiError(problem);
  }
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

/** A new idempotency key for one attempt at something (kept while the same attempt is retried). */
export const newKey = (): string => crypto.randomUUID();
