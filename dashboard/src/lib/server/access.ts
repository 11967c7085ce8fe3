/**
 * Who may open which dashboard page. The server enforces this in hooks.server.ts for every
 * page, data and form-action request; the menu only mirrors it. The API enforces the same
 * rules again on every call, so this is the first of two locks, not the only one.
 */
export type Role = 'admin' | 'finance' | 'customer';
export type Viewer = { role: Role; tenantId: string | null };

export type Decision =
  | { kind: 'allow' }
  | { kind: 'login' } // signed out: go and sign in, then come back
  | { kind: 'redirect'; to: string }
  | { kind: 'not-found' }; // exists or not, this viewer may not know

const OPERATORS: Role[] = ['admin', 'finance'];
const PUBLIC = new Set(['/login', '/signup']);

/** The page a user lands on after signing in. */
export function landingFor(viewer: Viewer): string {
  return viewer.role === 'customer' && viewer.tenantId ? `/tenants/${viewer.tenantId}` : '/';
}

export function decide(pathname: string, viewer: Viewer | null): Decision {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (PUBLIC.has(path)) return viewer ? { kind: 'redirect', to: landingFor(viewer) } : { kind: 'allow' };
  if (!viewer) return { kind: 'login' };
  if (path === '/logout') return { kind: 'allow' };

  const [, area, id] = path.split('/');
  const allow = (roles: Role[]): Decision => (roles.includes(viewer.role) ? { kind: 'allow' } : { kind: 'not-found' });

  if (path === '/') return viewer.role === 'customer' ? { kind: 'redirect', to: landingFor(viewer) } : { kind: 'allow' };
  switch (area) {
    case 'tenants':
      // A customer sees exactly one tenant: their own. Any other id is "not found".
      if (viewer.role === 'customer') return id && id === viewer.tenantId ? { kind: 'allow' } : { kind: 'not-found' };
      return allow(OPERATORS);
    case 'invoices':
      // Invoice pages are open to customers; the API answers 404 for an invoice that is not theirs.
      if (viewer.role === 'customer') return id ? { kind: 'allow' } : { kind: 'not-found' };
      return allow(OPERATORS);
    case 'users':
      return allow(['admin']);
    case 'plans':
    case 'meters':
      return id === 'new' ? allow(['admin']) : allow(OPERATORS);
    default:
      return allow(OPERATORS);
  }
}
