import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.ts';
import { readAllUsage, readUsageBatch, type UsageQuery, type UsageSource } from './usage-source.ts';
import { heartbeat } from '../heartbeat.ts';
import { withTenant, type Tx } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceReason, type InvoiceRow, type NewInvoiceLine } from '../../db/postgres/invoices-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { formatAmount, fromMinorUnits, toDecimal, toDecimalString, toStoredDecimal, toStoredMinorUnits } from '../../domain/money/index.ts';
import {
  billingFailureType,
  continuedRun,
  dimensionOf,
  groupByOf,
  usageOfValue,
  invoiceLines,
  invoiceTotals,
  lateUsageAdjustment,
  partRuns,
  type InvoiceLineDraft,
  type LineRatingContext,
  type EarlierInRun,
  type LineDimensions,
  type MeteredUsage,
  type PartRun,
} from '../../domain/billing/index.ts';
import { DEFAULT_LATE_USAGE_DAYS, MAX_LATE_USAGE_DAYS, type Plan } from '../../domain/pricing/index.ts';
import { renderStoredInvoicePdf as renderPdf } from '../../db/postgres/stored-invoice-pdf.ts';
import { decideFinalization } from './finalization.ts';
import { meteringUsageSource } from './metering-usage-source.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { failingForGood, raiseBillingFailed } from './out-of-range.ts';

/** A part of an invoiced window under one plan version; instants as ISO strings. */
export type PartRef = { from: string; to: string; planId: string; version: number };
/** Usage by meter code, one map per part. */
export type PartUsage = Record<string, MeteredUsage>;

/** An invoice line as it travels between activities (instants as ISO strings). */
export type WireLine = Omit<InvoiceLineDraft, 'usage'> & { usage?: { from: string; to: string; eventCount: string } };

export type WriteInvoiceInput = {
  invoiceId: string;
  tenantId: string;
  subscriptionId: string;
  reason: InvoiceReason;
  currency: string;
  /** The whole schedule period (proration's denominator). */
  period: { start: string; end: string };
  /** The invoiced window [serviceFrom, serviceEnd): the invoice's periodStart and periodEnd. */
  serviceFrom: string;
  serviceEnd: string;
  /** The window's parts. The field keeps the name it had when "segment" meant a part: recorded workflow histories carry it. */
  segments: PartRef[];
  usage: PartUsage[];
  adjustments: WireLine[];
};

export type InvoiceSummary = {
  invoiceId: string;
  number: string | null;
  status: InvoiceRow['status'];
  currency: string;
  periodStart: string;
  periodEnd: string;
  /** Decimal strings with the currency's digits; total is null while draft. */
  subtotal: string;
  total: string | null;
};

function summary(row: InvoiceRow): InvoiceSummary {
  const amount = (minor: bigint) => formatAmount(fromMinorUnits(minor, row.currency), row.currency);
  return {
    invoiceId: row.id,
    number: row.number,
    status: row.status,
    currency: row.currency,
    periodStart: row.period_start.toISOString(),
    periodEnd: row.period_end.toISOString(),
    subtotal: amount(row.subtotal_minor),
    total: row.total_minor === null ? null : amount(row.total_minor),
  };
}

const toWire = (line: InvoiceLineDraft): WireLine => {
  const { usage, ...rest } = line;
  return usage ? { ...rest, usage: { from: usage.from.toISOString(), to: usage.to.toISOString(), eventCount: usage.eventCount } } : rest;
};

async function loadPlan(tx: Tx, planId: string, version: number): Promise<Plan> {
  const record = await plansRepository.findById(tx, planId, version);
  // A plan version in use is never deleted or changed; a missing one is a bug, not a transient fault.
  if (!record) throw ApplicationFailure.nonRetryable(`plan ${planId} version ${version} not found`, 'PlanNotFound');
  return record.plan;
}

/** A line as stored; an amount or quantity too large for its column is an OutOfRangeError. */
function storedLine(line: WireLine, currency: string): NewInvoiceLine {
  if (line.quantity !== undefined) toStoredDecimal(line.quantity, `the quantity of line "${line.description}"`);
  return {
    type: line.type,
    description: line.description,
    meter: line.meter,
    model: line.model,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    tiers: line.tiers,
    amountMinor: toStoredMinorUnits(line.amount, currency, `line "${line.description}"`),
    planId: line.planRef?.planId,
    planVersion: line.planRef?.version,
    usageFrom: line.usage ? new Date(line.usage.from) : undefined,
    usageTo: line.usage ? new Date(line.usage.to) : undefined,
    eventCount: line.usage ? BigInt(line.usage.eventCount) : undefined,
    rating: line.rating,
    dimensions: line.dimensions,
  };
}

/** The meters a plan's usage charges read (a flat charge reads none), each once. */
const meteredOf = (plan: Plan): string[] => [...new Set(plan.charges.filter((c) => c.model !== 'flat').map((c) => c.meter))];

/** A grouped read narrowed to one value of a rate card (the whole read for a plain charge). */
function valueRead(read: PromiseSettledResult<MeteredUsage>, dimensions: LineDimensions | undefined): PromiseSettledResult<MeteredUsage> {
  if (read.status === 'rejected' || !dimensions) return read;
  const { property, value } = dimensionOf(dimensions);
  return { status: 'fulfilled', value: usageOfValue(read.value, property, value) };
}

export function createInvoiceActivities(deps: ActivityDeps) {
  const { pg } = deps;
  // Meters are operator-owned (the same definition for every tenant): looked up by code.
  const defaultSource = meteringUsageSource({
    clickhouse: deps.clickhouse,
    findMeter: (_tenantId, code) => metersRepository.findByCode(pg, code),
  });
  const usageSource = (): UsageSource => deps.usage ?? defaultSource;
  /**
   * The run of parts under one plan version that the window's first part continues (an earlier
   * invoice-now of the same period under the same version): where it started, and per charge what
   * the earlier parts measured (read again now, late events included) and what stored invoices billed.
   */
  async function continuedRunOf(
    input: WriteInvoiceInput,
    period: { start: Date; end: Date },
  ): Promise<{ run: PartRun; earlier: NonNullable<PartRun['earlier']> } | null> {
    const part = input.segments[0];
    // A late-usage invoice has no parts of its own.
    if (!part) return null;
    const start = new Date(part.from);
    if (start.getTime() === period.start.getTime()) return null;
    const [plan, stored] = await withTenant(pg, input.tenantId, (tx) =>
      Promise.all([
        loadPlan(tx, part.planId, part.version),
        invoicesRepository.cumulativeLinesOfPeriod(tx, input.subscriptionId, period.start, start),
      ]),
    );
    const found = continuedRun(
      stored.map((l) => ({
        meter: l.meter ?? undefined,
        planRef: l.plan_id && l.plan_version ? { planId: l.plan_id, version: l.plan_version } : undefined,
        from: new Date((l.rating as LineRatingContext).from!),
        to: new Date((l.rating as LineRatingContext).to!),
        amount: fromMinorUnits(l.amount_minor, input.currency),
        ...(l.dimensions ? { value: dimensionOf(l.dimensions).value } : {}),
      })),
      { planId: part.planId, version: part.version },
      start,
    );
    if (!found) return null;
    // As before batching: a meter whose first charge is flat counts as no usage here.
    const metered = [...new Set(plan.charges.map((c) => c.meter))].filter((m) => plan.charges.find((c) => c.meter === m)!.model !== 'flat');
    const read = await readAllUsage(
      usageSource(),
      metered.map((meter) => ({ tenantId: input.tenantId, meter, from: found.from, to: start, ...groupByOf(plan, meter) })),
      heartbeat,
    );
    const earlier: Record<string, EarlierInRun> = {};
    for (const charge of plan.charges) {
      if (earlier[charge.meter]) continue;
      const i = metered.indexOf(charge.meter);
      const usage = i < 0 ? { quantity: '0', eventCount: '0' } : read[i]!;
      earlier[charge.meter] = { usage, billed: toDecimalString(found.billed.get(charge.meter) ?? toDecimal('0')) };
      const byValue = found.billedByValue.get(charge.meter);
      if (byValue)
        earlier[charge.meter]!.billedByValue = [...byValue].map(([value, billed]) => ({ value, billed: toDecimalString(billed) }));
    }
    return { run: { from: found.from, prorated: false }, earlier };
  }
  const renderAndStorePdf = (tenantId: string, invoice: InvoiceRow) =>
    withTenant(pg, tenantId, async (tx) => {
      await invoicesRepository.storePdf(tx, invoice.id, await renderPdf(tx, invoice));
    });

  return {
    /** Step 1: the usage of every metered charge in every part of the window. */
    async readPeriodUsage(input: { tenantId: string; segments: PartRef[] }): Promise<PartUsage[]> {
      const source = usageSource();
      const window = { start: new Date(input.segments[0]!.from), end: new Date(input.segments.at(-1)!.to) };
      return failingForGood(deps, { tenantId: input.tenantId, window, step: 'usage' }, async () => {
        const plans = await withTenant(pg, input.tenantId, (tx) =>
          Promise.all(input.segments.map((s) => loadPlan(tx, s.planId, s.version))),
        );
        // Every (part, metered charge) at once: a meter's windows in all parts are one batched read.
        const queries = input.segments.flatMap((part, i) =>
          meteredOf(plans[i]!).map((meter) => ({
            tenantId: input.tenantId,
            meter,
            from: new Date(part.from),
            to: new Date(part.to),
            ...groupByOf(plans[i]!, meter),
          })),
        );
        const measured = await readAllUsage(source, queries, heartbeat);
        const usage: PartUsage[] = input.segments.map(() => ({}));
        let k = 0;
        input.segments.forEach((_, i) => {
          for (const meter of meteredOf(plans[i]!)) usage[i]![meter] = measured[k++]!;
        });
        return usage;
      });
    },

    /**
     * Step 1b: late usage. Re-reads every usage window of the subscription's invoices (before
     * `before`) that ended within its plan version's lateUsageDays of `asOf` (the workflow's now;
     * `before` when a caller does not send it), and rates each difference with the
     * plan version and proration it was billed with.
     * A difference too large to store is left out and raises a billing_failed alert for that window
     * instead of failing this invoice: the next closes re-read the same window, so failing would
     * stop the subscription's billing for good.
     */
    async rateLateUsage(input: {
      tenantId: string;
      subscriptionId: string;
      currency: string;
      before: string;
      asOf?: string;
    }): Promise<WireLine[]> {
      const before = new Date(input.before);
      // Never the activity's clock: a retry must read the same windows.
      const asOf = input.asOf ? new Date(input.asOf) : before;
      const lines = await withTenant(pg, input.tenantId, async (tx) => {
        const recent = await invoicesRepository.usageLinesWithinHorizon(tx, input.subscriptionId, before, asOf, {
          defaultDays: DEFAULT_LATE_USAGE_DAYS,
          maxDays: MAX_LATE_USAGE_DAYS,
        });
        // A cumulative run is re-rated as a whole, so every line of it counts, even one billed
        // before the recent invoices.
        const runPeriods = [
          ...new Set(
            recent
              .map((l) => l.rating as LineRatingContext | null)
              .filter((r) => r?.from !== undefined)
              .map((r) => r!.period.start),
          ),
        ];
        const runLines = await Promise.all(
          runPeriods.map((p) => invoicesRepository.cumulativeLinesOfPeriod(tx, input.subscriptionId, new Date(p), before)),
        );
        return [
          ...recent.filter((l) => (l.rating as LineRatingContext | null)?.from === undefined),
          ...runLines.flat().filter((l) => l.type !== 'proration' && l.usage_from !== null),
        ];
      });
      // One group per billed (window, plan version, charge): the usage line and its later adjustments.
      // A cumulative line's group is its run: (period, run start, plan version, meter), over
      // [run start, the run's last billed end), rated with the terms of its latest line.
      type Group = {
        rating: LineRatingContext;
        window: { start: Date; end: Date };
        planRef?: { planId: string; version: number };
        billedMinor: bigint;
        /** A rate card's group is one value's: its lines, re-rated with that value's usage and pricing. */
        dimensions?: LineDimensions;
      };
      const groups = new Map<string, Group>();
      for (const line of lines) {
        const rating = line.rating as LineRatingContext | null;
        if (rating?.from === undefined) continue;
        const key = JSON.stringify(['run', rating.period.start, rating.from, line.plan_id, line.plan_version, line.meter, line.dimensions]);
        const group = groups.get(key);
        const end = new Date(rating.to!);
        const latest = !group || end.getTime() > group.window.end.getTime();
        groups.set(key, {
          rating: latest ? rating : group.rating,
          window: { start: new Date(rating.from), end: latest ? end : group.window.end },
          planRef: line.plan_id && line.plan_version ? { planId: line.plan_id, version: line.plan_version } : undefined,
          billedMinor: (group?.billedMinor ?? 0n) + line.amount_minor,
          ...(line.dimensions ? { dimensions: line.dimensions } : {}),
        });
      }
      for (const line of lines) {
        if ((line.rating as LineRatingContext | null)?.from !== undefined) continue;
        const key = JSON.stringify([
          line.usage_from!.toISOString(),
          line.usage_to!.toISOString(),
          line.plan_id,
          line.plan_version,
          (line.rating as LineRatingContext | null)?.charge,
          line.dimensions,
        ]);
        const group = groups.get(key);
        if (group) {
          group.billedMinor += line.amount_minor;
        } else if (line.type === 'usage' && line.rating) {
          groups.set(key, {
            rating: line.rating as LineRatingContext,
            window: { start: line.usage_from!, end: line.usage_to! },
            planRef: line.plan_id && line.plan_version ? { planId: line.plan_id, version: line.plan_version } : undefined,
            billedMinor: line.amount_minor,
            ...(line.dimensions ? { dimensions: line.dimensions } : {}),
          });
        }
      }
      const adjustments: WireLine[] = [];
      // A horizon of 400 days on a daily plan is 400 windows per meter: each meter's windows are
      // batched reads (one query per up to WINDOWS_PER_READ windows), a few in flight at once.
      // A rate card's values share one grouped read of their window.
      const readKey = (g: Group) =>
        JSON.stringify([g.rating.charge.meter, g.window.start, g.window.end, g.dimensions ? dimensionOf(g.dimensions).property : null]);
      const reads = new Map<string, { query: UsageQuery; groups: Group[] }>();
      for (const group of groups.values()) {
        const key = readKey(group);
        const entry = reads.get(key) ?? {
          query: {
            tenantId: input.tenantId,
            meter: group.rating.charge.meter,
            from: group.window.start,
            to: group.window.end,
            ...(group.dimensions ? { groupBy: [dimensionOf(group.dimensions).property] } : {}),
          },
          groups: [],
        };
        entry.groups.push(group);
        reads.set(key, entry);
      }
      const batches = [...reads.values()];
      const settledReads = await readUsageBatch(
        usageSource(),
        batches.map((b) => b.query),
        heartbeat,
      );
      // A read that failed for a reason a retry may cure fails the activity before anything is
      // written (no billing_failed alert for another window of a run that is retried anyway).
      for (const read of settledReads) if (read.status === 'rejected' && billingFailureType(read.reason) === null) throw read.reason;
      // Each group with its read; a value that was never billed in a rate card's window (it had no
      // usage then) is a group of its own, billed nothing so far, rated like its siblings.
      const all: { group: Group; read: PromiseSettledResult<MeteredUsage> }[] = [];
      batches.forEach((batch, b) => {
        const read = settledReads[b]!;
        for (const group of batch.groups) all.push({ group, read: valueRead(read, group.dimensions) });
        const sample = batch.groups[0]!;
        if (!sample.dimensions || read.status === 'rejected') return;
        const { property } = dimensionOf(sample.dimensions);
        const billed = new Set(batch.groups.map((g) => dimensionOf(g.dimensions!).value));
        for (const { value } of read.value.dimensions?.[property] ?? []) {
          if (billed.has(value)) continue;
          const group = { ...sample, billedMinor: 0n, dimensions: { [property]: value } };
          all.push({ group, read: valueRead(read, group.dimensions) });
        }
      });
      for (const { group, read } of all) {
        const meter = group.rating.charge.meter;
        try {
          if (read.status === 'rejected') throw read.reason;
          const usage = read.value;
          const line = lateUsageAdjustment({
            currency: input.currency,
            rating: group.rating,
            window: group.window,
            usage,
            billed: fromMinorUnits(group.billedMinor, input.currency),
            planRef: group.planRef,
            dimensions: group.dimensions,
          });
          if (line) {
            const wire = toWire(line);
            storedLine(wire, input.currency); // throws here, for this line alone, if it cannot be stored
            adjustments.push(wire);
          }
        } catch (err) {
          if (billingFailureType(err) === null) throw err;
          await raiseBillingFailed(
            deps,
            { tenantId: input.tenantId, window: group.window, step: 'late_usage', meter, subscriptionId: input.subscriptionId },
            err as Error,
          );
        }
      }
      return adjustments;
    },

    /**
     * Steps 2 and 3: rates the window with domain/billing (domain/pricing underneath) and writes the
     * draft with its lines, once per (subscription, period start): a repeat returns the first invoice.
     */
    async writeInvoice(input: WriteInvoiceInput): Promise<InvoiceSummary & { created: boolean }> {
      const failure = {
        tenantId: input.tenantId,
        window: { start: new Date(input.serviceFrom), end: new Date(input.serviceEnd) },
        step: 'rating',
        invoiceId: input.invoiceId,
        subscriptionId: input.subscriptionId,
      } as const;
      const period = { start: new Date(input.period.start), end: new Date(input.period.end) };
      return failingForGood(deps, failure, async () => {
        // Read before the write's transaction: the usage source has its own connections.
        const first = await continuedRunOf(input, period);
        return withTenant(pg, input.tenantId, async (tx) => {
          const existing = await invoicesRepository.findBySubscriptionPeriod(tx, input.subscriptionId, new Date(input.serviceFrom));
          if (existing) return { ...summary(existing), created: false };
          const plans = await Promise.all(input.segments.map((s) => loadPlan(tx, s.planId, s.version)));
          const windows = input.segments.map((s) => ({ start: new Date(s.from), end: new Date(s.to) }));
          const runs = partRuns(period, windows, first?.run.from ?? null);
          const drafts = invoiceLines({
            currency: input.currency,
            period,
            parts: input.segments.map((s, i) => ({
              window: windows[i]!,
              plan: plans[i]!,
              planRef: { planId: s.planId, version: s.version },
              usage: input.usage[i] ?? {},
              run: i === 0 && first ? { ...runs[0]!, earlier: first.earlier } : runs[i]!,
            })),
          });
          // Late usage in the run this invoice continues is in its cumulative lines already.
          const absorbed = (l: WireLine) =>
            first !== null &&
            l.rating?.from === first.run.from.toISOString() &&
            l.rating.period.start === period.start.toISOString() &&
            l.planRef?.planId === input.segments[0]!.planId &&
            l.planRef.version === input.segments[0]!.version;
          const lines = [...drafts.map(toWire), ...input.adjustments.filter((l) => !absorbed(l))];
          // Each line first (one too large names itself), then the totals. The total is checked with
          // the tenant's tax rate now, so that finalizing (which taxes the draft) does not fail on a
          // total too large with the draft already written.
          const stored = lines.map((l) => storedLine(l, input.currency));
          const tenant = await tenantsRepository.findById(tx, input.tenantId);
          const { subtotal, total } = invoiceTotals(
            lines.map((l) => l.amount),
            toDecimalString(toDecimal(tenant?.tax_rate ?? '0')),
            input.currency,
          );
          toStoredMinorUnits(total, input.currency, 'the total with tax');
          const { invoice, created } = await invoicesRepository.insertDraft(tx, {
            id: input.invoiceId,
            tenantId: input.tenantId,
            subscriptionId: input.subscriptionId,
            reason: input.reason,
            currency: input.currency,
            periodStart: new Date(input.serviceFrom),
            periodEnd: new Date(input.serviceEnd),
            subtotalMinor: toStoredMinorUnits(subtotal, input.currency, 'the subtotal'),
            lines: stored,
          });
          return { ...summary(invoice), created };
        });
      });
    },

    /**
     * Step 4: numbers the invoice (gapless per year of issue) and computes tax at the tenant's rate
     * in one short transaction (the year's number row stays locked only for it), then renders
     * and stores the PDF. A repeat returns the invoice as it is and renders a missing PDF. A total
     * of zero or less has nothing to collect and is paid at once.
     */
    async finalizeInvoice(input: { invoiceId: string; tenantId: string; issuedAt: string }): Promise<InvoiceSummary> {
      // Only if the tax rate was raised since the draft was written: the draft stays for an operator.
      const failure = async () => {
        const draft = await withTenant(pg, input.tenantId, (tx) => invoicesRepository.findById(tx, input.invoiceId));
        return {
          tenantId: input.tenantId,
          window: { start: draft!.period_start, end: draft!.period_end },
          step: 'finalize',
          invoiceId: input.invoiceId,
          subscriptionId: draft!.subscription_id,
        } as const;
      };
      const finalized = await failingForGood(deps, failure, () =>
        withTenant(pg, input.tenantId, async (tx) => {
          const invoice = await invoicesRepository.lockById(tx, input.invoiceId);
          if (!invoice) throw ApplicationFailure.nonRetryable(`invoice ${input.invoiceId} not found`, 'InvoiceNotFound');
          if (invoice.status !== 'draft') return invoice;
          const tenant = await tenantsRepository.findById(tx, input.tenantId);
          if (!tenant) throw ApplicationFailure.nonRetryable(`tenant ${input.tenantId} not found`, 'TenantNotFound');
          const lines = await invoicesRepository.lines(tx, invoice.id);
          const { currency } = invoice;
          const taxRate = toDecimalString(toDecimal(tenant.tax_rate));
          const totals = invoiceTotals(
            lines.map((l) => fromMinorUnits(l.amount_minor, currency)),
            taxRate,
            currency,
          );
          const issuedAt = new Date(input.issuedAt);
          const totalMinor = toStoredMinorUnits(totals.total, currency, 'the total with tax');
          // Tenant credit after tax, and finalized or paid (see finalization.ts).
          const { transition, creditAppliedMinor } = await decideFinalization(tx, invoice, totalMinor, issuedAt);
          await invoicesRepository.markFinalized(tx, invoice.id, transition, {
            number: await invoicesRepository.nextNumber(tx, issuedAt.getUTCFullYear()),
            creditAppliedMinor,
            taxRate,
            taxMinor: toStoredMinorUnits(totals.tax, currency, 'the tax'),
            totalMinor,
            issuedAt,
            // Due on issue: the payment method on file is charged at once (dunning attempt 1, day 0).
            dueAt: issuedAt,
          });
          return (await invoicesRepository.findById(tx, invoice.id))!;
        }),
      );
      if (finalized.status !== 'draft' && !finalized.has_pdf) await renderAndStorePdf(input.tenantId, finalized);
      return summary(finalized);
    },
  };
}
