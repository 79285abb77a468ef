import { v7 as uuidv7 } from 'uuid';
import { sqlState, type SqlClient } from '../db/sql-client.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export const ROLES = ['customer', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export type User = Readonly<{ userId: string; email: string; role: Role }>;

export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

/** The account exists and the password is right, but an admin disabled it. */
export class AccountDisabledError extends Error {
  override name = 'AccountDisabledError';
}

type UserRow = { user_id: string; email: string; role: Role; password_hash: string; disabled: boolean };
const toUser = (row: UserRow): User => ({ userId: row.user_id, email: row.email, role: row.role });

/** Accounts: who may sign in, with which role. */
export class Users {
  constructor(
    private readonly db: SqlClient,
    private readonly passwordCost = 15,
  ) {}

  async register(email: string, password: string, role: Role = 'customer'): Promise<User> {
    const userId = uuidv7();
    const hash = await hashPassword(password, this.passwordCost);
    try {
      await this.db.query(`INSERT INTO users (user_id, email, password_hash, role) VALUES ($1, $2, $3, $4)`, [
        userId,
        email,
        hash,
        role,
      ]);
    } catch (error) {
      if (sqlState(error) === '23505') throw new EmailTakenError(`an account for ${email} already exists`);
      throw error;
    }
    return { userId, email, role };
  }

  /**
   * The user, if the password is right. A wrong email and a wrong password look the same; a disabled
   * account with the right password throws AccountDisabledError.
   */
  async authenticate(email: string, password: string): Promise<User | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT user_id::text AS user_id, email, role, password_hash, disabled_at IS NOT NULL AS disabled
         FROM users WHERE lower(email) = lower($1)`,
      [email],
    );
    // Hash anyway when the account does not exist, so timing does not tell which emails are registered.
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok) return undefined;
    if (row.disabled) throw new AccountDisabledError('this account is disabled');
    return toUser(row);
  }

  /** Disables the account (it can no longer sign in); whether there is such an account. */
  async disable(userId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE user_id = $1 RETURNING 1`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Creates the account unless the email is taken; returns whether it did. */
  async ensure(email: string, password: string, role: Role): Promise<boolean> {
    try {
      await this.register(email, password, role);
      return true;
    } catch (error) {
      if (error instanceof EmailTakenError) return false;
      throw error;
    }
  }
}

const DUMMY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
