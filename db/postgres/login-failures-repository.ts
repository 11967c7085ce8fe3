import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const counts = z.object({ by_email: z.number(), by_ip: z.number(), oldest_email: z.date().nullable(), oldest_ip: z.date().nullable() });

export const loginFailuresRepository = {
  record: (db: CommonQueryMethods, email: string, ip: string) =>
    db.query(sql.unsafe`INSERT INTO login_failures (email, ip) VALUES (${email}, ${ip})`),

  /** Failures inside the window, with the oldest one's time so Retry-After can be exact. */
  countSince: (db: CommonQueryMethods, email: string, ip: string, windowSeconds: number) =>
    db.one(sql.type(counts)`
      SELECT
        count(*) FILTER (WHERE email = ${email})::int AS by_email,
        count(*) FILTER (WHERE ip = ${ip})::int AS by_ip,
        min(at) FILTER (WHERE email = ${email}) AS oldest_email,
        min(at) FILTER (WHERE ip = ${ip}) AS oldest_ip
      FROM login_failures
      WHERE at > now() - make_interval(secs => ${windowSeconds}) AND (email = ${email} OR ip = ${ip})`),

  clearForEmail: (db: CommonQueryMethods, email: string) => db.query(sql.unsafe`DELETE FROM login_failures WHERE email = ${email}`),

  pruneOlderThan: (db: CommonQueryMethods, windowSeconds: number) =>
    db.query(sql.unsafe`DELETE FROM login_failures WHERE at < now() - make_interval(secs => ${windowSeconds})`),
};
