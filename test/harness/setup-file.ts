import { DefaultLogger, Runtime } from '@temporalio/worker';

// Each integration test file runs in its own process; keep the SDK to warnings there.
Runtime.install({ logger: new DefaultLogger('WARN') });
