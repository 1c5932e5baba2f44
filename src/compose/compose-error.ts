/** A compose file or project that cannot be loaded, planned or applied; `message` is what the user sees. */
export class ComposeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ComposeError';
  }
}
