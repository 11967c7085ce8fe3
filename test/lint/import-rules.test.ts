import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Lints code held in memory, as if it lived at `filePath`, with the project's own config:
// removing or loosening an import rule in eslint.config.js fails a case here. Only the import
// rule runs, and without type information, so a case takes milliseconds, not a project load.
const eslint = new ESLint({
  cwd: join(import.meta.dirname, '../..'),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const refused = (filePath: string, code: string, because: RegExp) =>
  it(`refuses in ${filePath}: ${code}`, async () => {
    const errors = await importErrors(filePath, code);
    // The import is the code's only line, so every error is about it (a dashboard file's
    // climb into test/ breaks two rules at once).
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^no-restricted-imports: /);
    expect(errors.some((e) => because.test(e))).toBe(true);
  });

const allowed = (filePath: string, code: string) =>
  it(`allows in ${filePath}: ${code}`, async () => {
    expect(await importErrors(filePath, code)).toEqual([]);
  });

describe('api/ reaches workflows only through the contract', () => {
  refused(
    'api/subscriptions/probe.ts',
    "import { subscriptionWorkflow } from '../../workflows/subscription/workflow.ts';",
    /only workflows\/contract\.ts/,
  );
  refused(
    'api/subscriptions/probe.ts',
    "import type { SubscriptionState } from '../../workflows/subscription/state.ts';",
    /only workflows\/contract\.ts/,
  );
  refused('api/invoices/probe.ts', "import { createActivities } from '../../activities/index.ts';", /never imports activities/);
  refused('api/invoices/probe.ts', "import type { ActivityDeps } from '../../activities/deps.ts';", /never imports activities/);
  allowed('api/subscriptions/probe.ts', "import { SUBSCRIPTION_TASK_QUEUE } from '../../workflows/contract.ts';");
  allowed(
    'api/probe.ts',
    "import { parseMeter } from '../domain/metering/index.ts';\nimport { metersRepository } from '../db/postgres/meters-repository.ts';",
  );
  // Tests beside the API set up what the worker would have written.
  allowed('api/alerts/probe.int.test.ts', "import { raiseAlert } from '../../activities/alerts/raise-alert.ts';");
});

describe('api/ route files leave transactions and driver errors to their service', () => {
  refused('api/alerts/alerts-routes.ts', "import { withOperator } from '../../db/postgres/tenant-scope.ts';", /open no transaction/);
  refused('api/alerts/alerts-routes.ts', "import { UniqueIntegrityConstraintViolationError } from 'slonik';", /handle no driver errors/);
  // The route file's own object keeps api/'s other rules.
  refused('api/alerts/alerts-routes.ts', "import { createActivities } from '../../activities/index.ts';", /never imports activities/);
  refused('api/alerts/alerts-routes.ts', "import { x } from '../../test/harness/api.ts';", /never imports test\//);
  allowed(
    'api/alerts/alerts-routes.ts',
    "import type { DatabasePool } from 'slonik';\nimport type { Scope } from '../../db/postgres/tenant-scope.ts';",
  );
  allowed('api/alerts/alerts-service.ts', "import { withOperator } from '../../db/postgres/tenant-scope.ts';");
});

describe('production code never imports test/', () => {
  for (const [file, harness] of [
    ['api/ingest/probe.ts', '../../test/harness/api.ts'],
    ['activities/probe.ts', '../test/harness/postgres.ts'],
    ['workflows/subscription/probe.ts', '../../test/harness/until.ts'],
    ['domain/money/probe.ts', '../../test/harness/constants.ts'],
    ['db/postgres/probe.ts', '../../test/harness/postgres.ts'],
    ['cli/commands/probe.ts', '../../test/harness/api.ts'],
    ['dashboard/src/lib/server/probe.ts', '../../../../test/harness/api.ts'],
  ] as const) {
    refused(file, `import { x } from '${harness}';`, /never imports test\/|nothing outside dashboard/);
  }
  allowed('api/ingest/probe.int.test.ts', "import { createTestApi } from '../../test/harness/api.ts';");
  allowed('db/postgres/probe.int.test.ts', "import { createTestDatabase } from '../../test/harness/postgres.ts';");
  allowed('domain/webhooks/probe.test.ts', "import { stubDns } from '../../test/harness/stub-dns.ts';");
  allowed('cli/probe.fixture.ts', "import { isRunning } from '../test/harness/process-tree.ts';");
});

describe('domain/ is pure', () => {
  refused('domain/webhooks/probe.ts', "import { isIP } from 'node:net';", /no Node built-ins/);
  refused('domain/webhooks/probe.ts', "import { isIP } from 'net';", /no Node built-ins/);
  refused('domain/money/probe.ts', "import { loadConfig } from '../../cli/config/load-config.ts';", /imports only libraries/);
  refused('domain/money/probe.ts', "import type { Config } from '../../cli/config/env-schema.ts';", /imports only libraries/);
  refused('domain/money/probe.ts', "import { sql } from '../../db/postgres/sql.ts';", /imports only libraries/);
  refused('domain/money/probe.ts', "import type { AppDeps } from '../../api/deps.ts';", /imports only libraries/);
  refused('domain/money/probe.ts', "import type { ActivityDeps } from '../../activities/deps.ts';", /imports only libraries/);
  refused('domain/money/probe.ts', "import { SUBSCRIPTION_TASK_QUEUE } from '../../workflows/contract.ts';", /imports only libraries/);
  allowed(
    'domain/money/probe.ts',
    "import { Decimal } from 'decimal.js';\nimport { z } from 'zod';\nimport { parsePeriod } from '../periods/index.ts';",
  );
  // A test may use Node as an oracle, but keeps the layers.
  allowed('domain/webhooks/probe.test.ts', "import { BlockList } from 'node:net';");
  refused('domain/webhooks/probe.test.ts', "import { loadConfig } from '../../cli/config/load-config.ts';", /imports only libraries/);
});

describe('workflows/ and activities/ keep their layers', () => {
  refused('workflows/subscription/probe.ts', "import { readFile } from 'node:fs/promises';", /Node built-ins/);
  refused('workflows/subscription/probe.ts', "import { withScope } from '../../db/postgres/tenant-scope.ts';", /db\/ or api\//);
  refused('workflows/subscription/probe.ts', "import { createActivities } from '../../activities/index.ts';", /as types only/);
  allowed('workflows/subscription/probe.ts', "import type { createActivities } from '../../activities/index.ts';");
  refused('activities/invoices/probe.ts', "import { createApp } from '../../api/app.ts';", /domain\/ and db\/ only/);
  refused(
    'activities/invoices/probe.ts',
    "import { SUBSCRIPTION_TASK_QUEUE } from '../../workflows/contract.ts';",
    /domain\/ and db\/ only/,
  );
});

describe('the dashboard imports nothing of the rest of the repository', () => {
  refused(
    'dashboard/src/routes/tenants/[id]/probe.ts',
    "import { formatAmount } from '../../../../../domain/money/index.ts';",
    /nothing outside dashboard/,
  );
  refused('dashboard/src/lib/probe.ts', "import type { AppDeps } from '../../../api/deps.ts';", /nothing outside dashboard/);
  refused(
    'dashboard/src/routes/probe/+page.svelte',
    '<script lang="ts">\n  import { formatAmount } from \'../../../../domain/money/index.ts\';\n</script>',
    /nothing outside dashboard/,
  );
  allowed('dashboard/src/lib/probe.ts', "import type { paths } from '#lib/api/schema.d.ts';\nimport { sumDecimals } from './decimal.ts';");
});
