import { ForeignKeyIntegrityConstraintViolationError, UniqueIntegrityConstraintViolationError } from 'slonik';

// A write the data itself refuses, as a value the caller must handle rather than a driver error
// it must know by class. PostgreSQL has then aborted the surrounding transaction: the caller
// ends it (the API throws its 409 or 400, which rolls it back) and sends nothing more in it.

/** A unique constraint already holds the value (a code, an email, an external id …). */
export type Taken = 'taken';
/** A row the write refers to (by foreign key) does not exist. */
export type Missing = 'missing';

export async function unlessTaken<T>(write: Promise<T>): Promise<T | Taken> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof UniqueIntegrityConstraintViolationError) return 'taken';
    throw err;
  }
}

export async function unlessMissing<T>(write: Promise<T>): Promise<T | Missing> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof ForeignKeyIntegrityConstraintViolationError) return 'missing';
    throw err;
  }
}
