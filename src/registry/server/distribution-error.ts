/** The OCI distribution spec's error codes, with the HTTP status each is sent with. */
export const DISTRIBUTION_ERRORS = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  TAG_INVALID: [400, 'manifest tag did not match URI'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'The operation is unsupported.'],
  RANGE_INVALID: [416, 'invalid content range'],
  TOO_MANY_REQUESTS: [429, 'too many requests'],
} as const satisfies Record<string, readonly [number, string]>;

export type DistributionErrorCode = keyof typeof DISTRIBUTION_ERRORS;

/** A failure the registry server answers with `{"errors":[{code,message,detail}]}`. */
export class DistributionError extends Error {
  readonly status: number;
  constructor(
    readonly code: DistributionErrorCode,
    readonly detail?: unknown,
    message?: string,
    /** Extra response headers (WWW-Authenticate of a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message ?? DISTRIBUTION_ERRORS[code][1]);
    this.name = 'DistributionError';
    this.status = DISTRIBUTION_ERRORS[code][0];
  }

  body(): string {
    return JSON.stringify({ errors: [{ code: this.code, message: this.message, detail: this.detail ?? null }] }) + '\n';
  }
}
