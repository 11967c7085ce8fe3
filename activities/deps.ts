import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import type { UsageSource } from './invoices/usage-source.ts';
import type { PaymentGateway } from './payments/gateway.ts';
import type { DestinationPolicy, Resolve } from '../domain/webhooks/destination.ts';

/** What activities need from the outside world; cli/ builds it, tests build their own. */
export type ActivityDeps = {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  /** For activities that start workflows (webhook deliveries). */
  temporal?: TemporalClient;
  /** The task queue those workflows run on (the worker passes the contract's). */
  taskQueue?: string;
  /**
   * The webhook-delivery workflow an emitted event starts for each delivery: its name, its id
   * and its task queue, from the workflows' contract (cli/temporal/workflow-deps.ts fills it in;
   * activities may not import workflows/).
   */
  webhookDelivery?: { workflowType: string; workflowId: (deliveryId: string) => string; taskQueue: string };
  /** Usage for invoicing; default: the metering usage reader over `clickhouse`. */
  usage?: UsageSource;
  /** Tenants per page of the budget check (default BUDGET_TENANTS_PER_PAGE, 200); tests make pages small. */
  budgetTenantsPerPage?: number;
  /** Payment gateways by name (tenant_payment_settings.gateway); default: { builtin }. */
  paymentGateways?: Readonly<Record<string, PaymentGateway>>;
  /**
   * Where webhooks may be delivered (cli/ passes the configured policy). Absent: private
   * addresses and plain http allowed, as in development and tests. `resolve` replaces DNS
   * (tests).
   */
  webhookDestinations?: DestinationPolicy & { resolve?: Resolve };
};
