import { EngineError, type ErrorCode } from '../../errors/engine-error.js';

/** The one place where an error becomes an HTTP status (Docker's choices). */
const statusByCode: Record<ErrorCode, number> = {
  not_found: 404,
  invalid_argument: 400,
  conflict: 409,
  not_modified: 304,
  unavailable: 503,
  forbidden: 403,
  not_implemented: 501,
  internal: 500,
};

export function httpStatusOf(err: unknown): number {
  if (err instanceof EngineError) return statusByCode[err.code];
  return 500;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
