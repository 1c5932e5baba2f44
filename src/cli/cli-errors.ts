import { ClientError, ConnectionError } from '../client/client-error.js';
import { TemplateError } from './format/go-template.js';

/** Ends the command with `code`; `message` (if any) goes to stderr as is. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** The text docker prints for an error: daemon errors get "Error response from daemon: ". */
export function describeError(err: unknown): string {
  if (err instanceof ClientError) return `Error response from daemon: ${err.message}`;
  if (err instanceof ConnectionError || err instanceof TemplateError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Runs `fn` for each item, collecting failures the way docker's multi-object verbs do (one line each, exit 1). */
export async function forEachTarget(items: readonly string[], fn: (item: string) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const item of items) {
    try {
      await fn(item);
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      errors.push(describeError(err));
    }
  }
  if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
}
