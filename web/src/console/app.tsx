import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentUser, onSessionChange, signIn, signOut } from '../shared/api.ts';
import { usePlace, type Place } from '../shared/router.ts';
import type { User } from '../shared/types.ts';
import { AuditPage } from './pages/audit.tsx';
import { CatalogPage, ProductEditor } from './pages/catalog.tsx';
import { GatePage } from './pages/gate.tsx';
import { InventoryPage } from './pages/inventory.tsx';
import { MetricsPage } from './pages/metrics.tsx';
import { OrderPage } from './pages/order.tsx';
import { OrdersPage } from './pages/orders.tsx';
import { Overview } from './pages/overview.tsx';
import { ProjectionsPage } from './pages/projections.tsx';
import { ReturnsPage } from './pages/returns.tsx';
import { ReviewsPage } from './pages/reviews.tsx';
import { PageTitle, ProblemAlert, submitting, useAction } from './ui.tsx';

/** The signed-in user, following sign-in and sign-out (in this tab or another). */
function useUser(): User | undefined {
  const [user, setUser] = useState(currentUser);
  useEffect(() => onSessionChange(() => setUser(currentUser())), []);
  return user;
}

type Section = Readonly<{ path: string; label: string; admin: boolean }>;

/** The sections, in the navigation's order; `admin`: only admins may read them. */
const SECTIONS: readonly Section[] = [
  { path: '/console/catalog', label: 'Catalog', admin: false },
  { path: '/console/inventory', label: 'Inventory', admin: false },
  { path: '/console/gate', label: 'Flash sales', admin: false },
  { path: '/console/orders', label: 'Orders', admin: false },
  { path: '/console/returns', label: 'Returns', admin: false },
  { path: '/console/reviews', label: 'Reviews', admin: false },
  { path: '/console/projections', label: 'Projections', admin: true },
  { path: '/console/metrics', label: 'Metrics', admin: true },
  { path: '/console/audit', label: 'Audit', admin: false },
];

/** The operator console: admins operate, auditors read and verify. */
export function Console() {
  const user = useUser();
  const place = usePlace();
  if (!user)
    return (
      <Frame>
        <SignIn />
      </Frame>
    );
  if (user.role === 'customer')
    return (
      <Frame user={user}>
        <NotForCustomers user={user} />
      </Frame>
    );
  return (
    <Frame user={user} place={place}>
      <Route place={place} user={user} />
    </Frame>
  );
}

function Route({ place, user }: { place: Place; user: User }) {
  const admin = user.role === 'admin';
  const path = place.path.replace(/\/+$/, '') || '/';
  const section = SECTIONS.find((s) => path === s.path || path.startsWith(`${s.path}/`));
  if (section?.admin && !admin) return <AdminOnly label={section.label} />;
  const rest = section ? decodeURIComponent(path.slice(section.path.length + 1)) : '';
  switch (section?.label) {
    case undefined:
      return path === '/console' ? <Overview admin={admin} /> : <NotFound />;
    case 'Catalog':
      if (!rest) return <CatalogPage query={place.query} admin={admin} />;
      return <ProductEditor sku={rest === 'new' ? undefined : rest} admin={admin} />;
    case 'Inventory':
      return <InventoryPage query={place.query} admin={admin} />;
    case 'Flash sales':
      return <GatePage admin={admin} />;
    case 'Orders':
      return rest ? (
        <OrderPage orderId={rest} query={place.query} admin={admin} />
      ) : (
        <OrdersPage query={place.query} />
      );
    case 'Returns':
      return <ReturnsPage query={place.query} admin={admin} />;
    case 'Reviews':
      return <ReviewsPage query={place.query} admin={admin} />;
    case 'Projections':
      return <ProjectionsPage />;
    case 'Metrics':
      return <MetricsPage query={place.query} />;
    case 'Audit':
      return <AuditPage query={place.query} />;
    default:
      return <NotFound />;
  }
}

/** Header, navigation by role, the page; focus moves to the new page's heading on navigation. */
function Frame({ user, place, children }: { user?: User; place?: Place; children: ComponentChildren }) {
  const path = place?.path ?? '';
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('page-title')?.focus();
  }, [path]);
  const staff = user && user.role !== 'customer';
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="console-header">
        <div class="bar">
          <a class="brand" href="/console">
            eventful-commerce <span>console</span>
          </a>
          {user && <SignedIn user={user} />}
        </div>
        {staff && (
          <nav aria-label="Console">
            <ul>
              {SECTIONS.filter((s) => user.role === 'admin' || !s.admin).map((s) => {
                const here = path === s.path || path.startsWith(`${s.path}/`);
                return (
                  <li key={s.path}>
                    <a href={s.path} aria-current={here ? 'page' : undefined}>
                      {s.label}
                    </a>
                  </li>
                );
              })}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" class="console-main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function SignedIn({ user }: { user: User }) {
  const action = useAction();
  return (
    <div class="who">
      <span>
        {user.email} <span class="role">{user.role}</span>
      </span>
      <button type="button" class="secondary" disabled={action.busy} onClick={() => action.run(signOut)}>
        Sign out
      </button>
    </div>
  );
}

function SignIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  return (
    <div class="sign-in">
      <PageTitle title="Sign in">Sign in to the console</PageTitle>
      <p>For admins and auditors of the shop.</p>
      <form
        class="stack"
        onSubmit={submitting(() =>
          action.run(async () => {
            await signIn(email.trim(), password);
          }),
        )}
      >
        <div class="field">
          <label for="sign-in-email">Email</label>
          <input
            id="sign-in-email"
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="sign-in-password">Password</label>
          <input
            id="sign-in-password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <ProblemAlert error={action.error} />
        <div>
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </div>
  );
}

function NotForCustomers({ user }: { user: User }) {
  return (
    <>
      <PageTitle title="Not for customers">The console is for staff</PageTitle>
      <div role="alert" class="alert">
        <p>
          This console is for admins and auditors, and {user.email} is a customer account: it is not for you.
          Sign out and sign in with a staff account, or go back to the shop.
        </p>
      </div>
      <p>
        <a href="/">Go to the shop</a>
      </p>
    </>
  );
}

function AdminOnly({ label }: { label: string }) {
  return (
    <>
      <PageTitle title={label}>{label}</PageTitle>
      <div role="alert" class="alert">
        <p>{label} is for admins only; auditors read orders, returns, stock and the event log.</p>
      </div>
    </>
  );
}

function NotFound() {
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is no console page here. <a href="/console">Back to the overview</a>
      </p>
    </>
  );
}
