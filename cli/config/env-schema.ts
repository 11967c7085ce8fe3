import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const optionalUrl = z.url().optional();
const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/**
 * Every configuration variable, its default and its meaning. The README table and
 * .env.example are checked against this list by test, so it is the single source.
 */
export const envVariables = {
  NODE_ENV: {
    schema: z.enum(['development', 'test', 'production']).default('development'),
    default: 'development',
    meaning: 'development, test or production; production requires JWT_SECRET and external servers',
  },
  HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    default: '127.0.0.1',
    meaning: 'interface the HTTP server binds (containers use 0.0.0.0)',
  },
  PORT: { schema: port.default(4000), default: '4000', meaning: 'port serving the API (/api), the dashboard (/) and /health, /ready' },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    default: 'info',
    meaning: 'pino log level',
  },
  DATA_DIR: {
    schema: z.string().min(1).default('.data'),
    default: '.data',
    meaning: 'where the all-in-one stack keeps embedded PostgreSQL, ClickHouse and Temporal data',
  },
  DATABASE_URL: {
    schema: optionalUrl,
    default: '',
    meaning: 'PostgreSQL URL for the app role (meterplane_app, not the table owner); empty starts an embedded PostgreSQL',
  },
  DATABASE_MIGRATION_URL: {
    schema: optionalUrl,
    default: '',
    meaning: 'PostgreSQL URL of the role that owns the tables, used by migrations; defaults to DATABASE_URL',
  },
  EMBEDDED_PG_PORT: { schema: port.default(54329), default: '54329', meaning: 'port of the embedded PostgreSQL' },
  CLICKHOUSE_URL: {
    schema: optionalUrl,
    default: '',
    meaning: 'ClickHouse HTTP URL; empty uses the embedded engine (chdb) under DATA_DIR',
  },
  CLICKHOUSE_USER: { schema: z.string().default('default'), default: 'default', meaning: 'ClickHouse user' },
  CLICKHOUSE_PASSWORD: { schema: z.string().default(''), default: '', meaning: 'ClickHouse password' },
  CLICKHOUSE_DATABASE: {
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('default'),
    default: 'default',
    meaning: 'ClickHouse database',
  },
  CLICKHOUSE_CLUSTER: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'expected a cluster name of <remote_servers>')
      .optional(),
    default: '',
    meaning:
      'with CLICKHOUSE_URL (the node holding the first-delivery index): the cluster of deploy/clickhouse/cluster.sql; the client then sends the cluster query and insert settings, and migrate only checks and records',
  },
  TEMPORAL_ADDRESS: {
    schema: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'expected host:port')
      .optional(),
    default: '',
    meaning: 'Temporal frontend host:port; empty starts the Temporal CLI dev server',
  },
  TEMPORAL_NAMESPACE: { schema: z.string().min(1).default('default'), default: 'default', meaning: 'Temporal namespace' },
  TEMPORAL_TLS_CERT: {
    schema: z.string().optional(),
    default: '',
    meaning: 'path to the client certificate (PEM) for Temporal mTLS, e.g. Temporal Cloud',
  },
  TEMPORAL_TLS_KEY: { schema: z.string().optional(), default: '', meaning: 'path to the client key (PEM) for Temporal mTLS' },
  TEMPORAL_CLI_PATH: {
    schema: z.string().optional(),
    default: '',
    meaning: 'path to the temporal CLI used for the dev server (else PATH)',
  },
  TEMPORAL_DEV_PORT: { schema: port.default(7233), default: '7233', meaning: 'port of the Temporal dev server' },
  TEMPORAL_UI_PORT: { schema: port.default(8233), default: '8233', meaning: 'port of the Temporal dev server UI' },
  TEMPORAL_UI_URL: { schema: optionalUrl, default: '', meaning: 'Temporal UI base URL for links; defaults to the dev server UI' },
  WORKFLOW_BUNDLE_PATH: {
    schema: z.string().optional(),
    default: '',
    meaning: 'prebuilt workflow bundle for the worker (container images); empty bundles at start-up',
  },
  JWT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    default: '',
    meaning: 'HMAC secret for session JWTs; mandatory in production (development generates one under DATA_DIR)',
  },
  JWT_ISSUER: { schema: z.string().min(1).default('meterplane'), default: 'meterplane', meaning: 'JWT iss claim' },
  JWT_AUDIENCE: { schema: z.string().min(1).default('meterplane'), default: 'meterplane', meaning: 'JWT aud claim' },
  JWT_TTL_SECONDS: {
    schema: z.coerce
      .number()
      .int()
      .min(60)
      .max(86_400 * 30)
      .default(3600),
    default: '3600',
    meaning: 'lifetime of a session JWT in seconds',
  },
  ADMIN_EMAIL: {
    schema: z.email().optional(),
    default: '',
    meaning: 'first admin created on a new DATA_DIR by `start` (default admin@meterplane.local)',
  },
  ADMIN_PASSWORD: {
    schema: z.string().min(10).optional(),
    default: '',
    meaning: 'password of that first admin; empty generates one and prints it once',
  },
  SEED_DEMO: {
    schema: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    default: 'true',
    meaning: '`start` seeds demo meters, plans, tenants, usage and subscriptions on a new DATA_DIR',
  },
  TRUST_PROXY: {
    schema: z.coerce.number().int().min(0).max(10).default(0),
    default: '0',
    meaning: 'reverse proxies in front of the API that append to X-Forwarded-For; 0 ignores X-Forwarded-* and uses the TCP peer',
  },
  CORS_ORIGIN: {
    schema: optionalUrl,
    default: '',
    meaning: 'origin allowed to call the API from a browser (the dashboard when served elsewhere)',
  },
  WEBHOOK_ALLOW_PRIVATE: {
    schema: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    default: '',
    meaning:
      'allow webhook endpoints on loopback, private, link-local and other non-public addresses; empty: true, except false when NODE_ENV=production (which also requires https)',
  },
  STRIPE_SECRET_KEY: {
    schema: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\w+$/, 'must be a Stripe secret or restricted key (sk_… or rk_…)')
      .optional(),
    default: '',
    meaning: 'Stripe secret key of the worker; empty: no Stripe gateway (tenants whose payment settings say stripe are not charged)',
  },
  STRIPE_API_BASE: {
    schema: optionalUrl,
    default: '',
    meaning: 'another Stripe API base than https://api.stripe.com (stripe-mock in tests), e.g. http://127.0.0.1:12111',
  },
  STRIPE_WEBHOOK_SECRET: {
    schema: z.string().startsWith('whsec_', 'must be the signing secret of a Stripe webhook endpoint (whsec_…)').optional(),
    default: '',
    meaning: 'signing secret of the Stripe webhook endpoint (POST /api/payments/stripe/webhook); empty: that route answers 503',
  },
  INGEST_FLUSH_ROWS: {
    schema: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    default: '20000',
    meaning: 'ingest group commit: insert into ClickHouse as soon as this many rows wait',
  },
  INGEST_FLUSH_MS: {
    schema: z.coerce.number().int().min(0).max(60_000).default(20),
    default: '20',
    meaning: 'ingest group commit: insert at the latest when the oldest waiting row has waited this long (ms)',
  },
  INGEST_MAX_QUEUE_ROWS: {
    schema: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
    default: '200000',
    meaning:
      'rows waiting or being inserted beyond which ingest answers 503 with Retry-After; past half of it, a tenant holding more than half the rows gets 429',
  },
  INGEST_FLUSH_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(64).default(2),
    default: '2',
    meaning: 'ClickHouse inserts ingest may have in flight at once',
  },
  ANOMALY_SCAN_INTERVAL_MINUTES: {
    schema: z.coerce
      .number()
      .int()
      .refine((n) => n >= 1 && 60 % n === 0, 'must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)')
      .default(5),
    default: '5',
    meaning: 'how often the anomaly-scan schedule runs; also the default anomaly window',
  },
  ANOMALY_SCAN_DELAY_SECONDS: {
    schema: z.coerce.number().int().min(0).max(3599).default(30),
    default: '30',
    meaning: 'seconds after each interval boundary the scan waits for late events (less than the interval)',
  },
  ANOMALY_BASELINE_DAYS: {
    schema: z.coerce.number().int().min(1).max(28).default(7),
    default: '7',
    meaning: 'days of same-time-of-day baseline an anomaly is compared with',
  },
  ANOMALY_MIN_VOLUME: {
    schema: z.coerce.number().int().min(0).default(100),
    default: '100',
    meaning: 'events a window needs before it can raise a usage spike',
  },
  ANOMALY_SENSITIVITY: {
    schema: z.coerce.number().positive().max(1000).default(6),
    default: '6',
    meaning: 'robust z-score (median/MAD) a window must exceed to raise a usage spike',
  },
} as const;

type Vars = typeof envVariables;
export type Config = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

export const envSchema = z
  .object(
    Object.fromEntries(Object.entries(envVariables).map(([name, v]) => [name, z.preprocess(emptyAsUndefined, v.schema)])) as unknown as {
      [K in keyof Vars]: z.ZodType<z.output<Vars[K]['schema']>>;
    },
  )
  .superRefine((c, ctx) => {
    if (c.ANOMALY_SCAN_DELAY_SECONDS >= c.ANOMALY_SCAN_INTERVAL_MINUTES * 60) {
      ctx.addIssue({ code: 'custom', path: ['ANOMALY_SCAN_DELAY_SECONDS'], message: 'must be less than ANOMALY_SCAN_INTERVAL_MINUTES' });
    }
    // The embedded engine is one node: a cluster name there would be ignored, silently.
    if (c.CLICKHOUSE_CLUSTER && !c.CLICKHOUSE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_CLUSTER'],
        message: 'needs CLICKHOUSE_URL (the embedded engine is not a cluster)',
      });
    }
    if (c.NODE_ENV === 'production' && !c.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
  });
