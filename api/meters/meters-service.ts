import type { DatabasePool } from 'slonik';
import { parseMeter, type MeterInput } from '../../domain/metering/index.ts';
import { metersRepository, type MeterRecord } from '../../db/postgres/meters-repository.ts';
import { conflict, notFound } from '../http/problem.ts';
import type { MeterCatalog } from './meter-catalog.ts';

/** Meters are operator-owned and never change once created; the catalog ingest reads learns of a new one at once. */
export function createMetersService(deps: { pg: DatabasePool; meters: MeterCatalog }) {
  return {
    /** A taken code is 409. */
    async create(input: MeterInput): Promise<MeterRecord> {
      const record = await metersRepository.create(deps.pg, parseMeter(input));
      if (record === 'taken') throw conflict('code', 'is already used by another meter');
      deps.meters.invalidate();
      return record;
    },

    list: (): Promise<MeterRecord[]> => metersRepository.list(deps.pg),

    async get(code: string): Promise<MeterRecord> {
      const meter = await metersRepository.findByCode(deps.pg, code);
      if (!meter) throw notFound('meter');
      return meter;
    },
  };
}
