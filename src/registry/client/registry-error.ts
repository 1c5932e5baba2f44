/** A failure from a registry: its HTTP status and the spec's error code when the body carried one. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** distribution's errcode text: `manifest unknown: manifest unknown`. */
  static async fromResponse(res: Response, what: string): Promise<RegistryError> {
    const text = await res.text().catch(() => '');
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = body.errors?.[0];
      if (first?.code) {
        return new RegistryError(res.status, first.code, `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`);
      }
    } catch {
      // not JSON: fall through to the status line
    }
    if (res.status === 401) return new RegistryError(401, 'UNAUTHORIZED', 'unauthorized: authentication required');
    if (res.status === 404) return new RegistryError(404, undefined, `${what}: not found`);
    return new RegistryError(res.status, undefined, `${what}: unexpected status ${res.status} ${res.statusText}${text ? `: ${text.trim().slice(0, 200)}` : ''}`);
  }
}
