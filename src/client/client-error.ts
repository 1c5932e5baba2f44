/** The daemon answered with a non-2xx status; `message` is the body's `message` field. */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** The daemon could not be reached at all (socket missing, connection refused). */
export class ConnectionError extends Error {
  constructor(
    readonly address: string,
    options?: ErrorOptions,
  ) {
    // Same wording as the docker CLI, with our real address.
    super(`Cannot connect to the Docker daemon at ${address}. Is the docker daemon running?`, options);
    this.name = 'ConnectionError';
  }
}

export function isNotFound(err: unknown): err is ClientError {
  return err instanceof ClientError && err.status === 404;
}
