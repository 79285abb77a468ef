import { useState } from 'preact/hooks';
import { register, signIn } from '../../shared/api.ts';
import { navigate, type Place } from '../../shared/router.ts';
import { cartSettled } from '../cart.ts';
import { safeNext, useTitle, useUser } from '../hooks.ts';
import { fieldErrors, ProblemAlert } from '../problem.tsx';

type Mode = 'sign-in' | 'register';

/** Sign in (`/shop/sign-in`) and register (`/shop/register`), then back where the shopper was going. */
export function AccountPage({ mode, place }: { mode: Mode; place: Place }) {
  const next = safeNext(place.query.get('next'));
  const user = useUser();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<Readonly<{ error: unknown }> | undefined>();
  const title = mode === 'sign-in' ? 'Sign in' : 'Create an account';
  useTitle(title);

  if (user && !sending)
    return (
      <section class="narrow">
        <h1>{title}</h1>
        <p>
          You are signed in as <strong>{user.email}</strong>.
        </p>
        <p>
          <a href={next}>Continue</a>
        </p>
      </section>
    );

  const fields = problem ? fieldErrors(problem.error) : {};
  const otherMode = `${mode === 'sign-in' ? '/shop/register' : '/shop/sign-in'}${
    next === '/' ? '' : `?next=${encodeURIComponent(next)}`
  }`;
  return (
    <section class="narrow">
      <h1>{title}</h1>
      {next === '/shop/checkout' && (
        <p class="notice">
          Sign in to check out: the cart you filled as a guest is kept and joins your account’s.
        </p>
      )}
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setSending(true);
          setProblem(undefined);
          (mode === 'sign-in' ? signIn(email.trim(), password) : register(email.trim(), password))
            // The guest cart is merged at sign-in: the next page shows the merged cart.
            .then(() => cartSettled())
            .then(
              () => navigate(next, { replace: true }),
              (error: unknown) => {
                setSending(false);
                setProblem({ error });
              },
            );
        }}
      >
        {problem && <ProblemAlert error={problem.error} />}
        <div class="field">
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete={mode === 'sign-in' ? 'username' : 'email'}
            required
            value={email}
            aria-invalid={fields.Email ? true : undefined}
            aria-describedby={fields.Email ? 'email-error' : undefined}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
          {fields.Email && (
            <p class="field-error" id="email-error">
              {fields.Email}
            </p>
          )}
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            required
            value={password}
            aria-invalid={fields.Password ? true : undefined}
            aria-describedby={
              [fields.Password ? 'password-error' : '', mode === 'register' ? 'password-hint' : '']
                .filter(Boolean)
                .join(' ') || undefined
            }
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
          {mode === 'register' && (
            <p class="hint" id="password-hint">
              At least 10 characters. A few unrelated words make a strong one.
            </p>
          )}
          {fields.Password && (
            <p class="field-error" id="password-error">
              {fields.Password}
            </p>
          )}
        </div>
        <button type="submit" class="button button--primary button--wide" disabled={sending}>
          {mode === 'sign-in' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <p class="form-aside">
        {mode === 'sign-in' ? (
          <>
            New here? <a href={otherMode}>Create an account</a>
          </>
        ) : (
          <>
            Already have an account? <a href={otherMode}>Use it instead</a>
          </>
        )}
      </p>
    </section>
  );
}
