/**
 * The one error vocabulary of Berth. Every layer throws EngineError; only
 * daemon/api/http-status.ts turns a code into an HTTP status.
 */
export type ErrorCode =
  | 'not_found'
  | 'invalid_argument'
  | 'conflict'
  | 'not_modified'
  | 'unavailable'
  | 'forbidden'
  | 'not_implemented'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

export const notFound = (message: string, options?: ErrorOptions): EngineError => new EngineError('not_found', message, options);
export const invalidArgument = (message: string, options?: ErrorOptions): EngineError =>
  new EngineError('invalid_argument', message, options);
export const conflict = (message: string, options?: ErrorOptions): EngineError => new EngineError('conflict', message, options);
export const notModified = (message: string): EngineError => new EngineError('not_modified', message);
export const internal = (message: string, options?: ErrorOptions): EngineError => new EngineError('internal', message, options);

export function isEngineError(err: unknown, code?: ErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
