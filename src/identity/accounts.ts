import { HashingBusyError, type HashingGate } from './hashing-gate.ts';
import type { LoginAttempts } from './login-attempts.ts';
import { weakPasswordReason } from './password-policy.ts';
import type { TokenRevocations } from './revocations.ts';
import type { Session, Sessions } from './sessions.ts';
import type { Users } from './users.ts';

/** A new password too easy to guess; `reason` says why (never what the password was). */
export class WeakPasswordError extends Error {
  override name = 'WeakPasswordError';
  constructor(readonly reason: string) {
    super(`password ${reason}`);
  }
}

/** Too many sign-in attempts for this account lately: it is locked, owner included, for a while. */
export class AccountLockedError extends Error {
  override name = 'AccountLockedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many sign-in attempts for this account; try again in ${retryAfterSeconds} s`);
  }
}

export class InvalidCredentialsError extends Error {
  override name = 'InvalidCredentialsError';
}

export type AccountsDependencies = Readonly<{
  users: Users;
  sessions: Sessions;
  revocations: TokenRevocations;
  /** The bound on password hashing, shared by sign-ins and registrations. */
  hashing: HashingGate;
  attempts: LoginAttempts;
}>;

/**
 * What a person does with their account: register, sign in, keep the session going, sign out; and
 * what an admin does to one: disable it. Every use case that hashes a password goes through the
 * hashing bound, and every sign-in through the lockout.
 */
export class Accounts {
  constructor(private readonly deps: AccountsDependencies) {}

  /** A new customer, signed in. Throws WeakPasswordError, EmailTakenError or HashingBusyError. */
  async register(email: string, password: string): Promise<Session> {
    const weakness = weakPasswordReason(password, email);
    if (weakness) throw new WeakPasswordError(weakness);
    const user = await this.deps.hashing.run(() => this.deps.users.register(email, password));
    return this.deps.sessions.start(user);
  }

  /**
   * A new session for the account. Throws AccountLockedError, HashingBusyError,
   * InvalidCredentialsError or AccountDisabledError.
   */
  async signIn(email: string, password: string): Promise<Session> {
    const { attempts, hashing, users } = this.deps;
    const verdict = await attempts.begin(email);
    if (!verdict.allowed) throw new AccountLockedError(verdict.retryAfterSeconds);
    let user;
    try {
      user = await hashing.run(() => users.authenticate(email, password));
    } catch (error) {
      // Refused before the password was tried: not an attempt.
      if (error instanceof HashingBusyError) await attempts.withdraw(email);
      throw error;
    }
    if (!user) throw new InvalidCredentialsError('wrong email or password');
    await attempts.succeeded(email);
    return this.deps.sessions.start(user);
  }

  /** The session continued with a new refresh token (the old one is used up). Throws RefreshRefusedError. */
  refresh(refreshToken: string): Promise<Session> {
    return this.deps.sessions.refresh(refreshToken);
  }

  signOut(userId: string, sessionId: string | undefined, refreshToken: string): Promise<void> {
    return this.deps.sessions.end(userId, sessionId, refreshToken);
  }

  /** Disables the account and ends its sessions: its tokens stop working at once. False: no such account. */
  async disable(userId: string): Promise<boolean> {
    if (!(await this.deps.users.disable(userId))) return false;
    this.deps.revocations.userDisabled(userId);
    await this.deps.sessions.revokeAllOf(userId, 'account disabled');
    return true;
  }
}
