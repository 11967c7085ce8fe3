import { sql } from 'slonik';
import { z } from 'zod';
import type { ActivityDeps } from './deps.ts';

export type SelfCheckResult = { nonce: string; postgres: boolean; clickhouse: boolean };

export function createSelfCheckActivities({ pg, clickhouse }: ActivityDeps) {
  return {
    async selfCheck(nonce: string): Promise<SelfCheckResult> {
      const pgOk = await pg.oneFirst(sql.type(z.object({ ok: z.boolean() }))`SELECT true AS ok`);
      const rs = await clickhouse.query({
        query: 'SELECT {n:String} = {n:String} AS ok',
        query_params: { n: nonce },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ ok: number }>();
      return { nonce, postgres: pgOk, clickhouse: Number(row?.ok) === 1 };
    },
  };
}
