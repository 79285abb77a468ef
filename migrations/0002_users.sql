-- Accounts that may sign in. Passwords are stored only as scrypt hashes (src/identity/passwords.ts).
CREATE TABLE users (
  user_id        uuid PRIMARY KEY,
  email          text NOT NULL,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('customer', 'admin', 'auditor')),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
