import { z } from 'zod';
import { integerText } from './integer-schemas.ts';

export const MAX_PAGE_SIZE = 200;

export const paginationQuery = {
  limit: integerText(1, MAX_PAGE_SIZE).default(50),
  offset: integerText(0, 1_000_000).default(0),
};

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
