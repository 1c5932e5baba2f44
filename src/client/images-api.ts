import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { encodeFilters, type Filters } from './containers-api.js';
import type { EngineClient } from './engine-client.js';
import type { HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImageSummary } from './wire-types.js';

const enc = encodeURIComponent;

export interface ListImagesOptions {
  all?: boolean;
  digests?: boolean;
  filters?: Filters;
}

export interface ImportOptions {
  /** `-` (the body) or a URL the daemon fetches. */
  fromSrc: string;
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  platform?: string;
}

/** Typed calls under /images. */
export class ImagesApi {
  constructor(private readonly client: EngineClient) {}

  list(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    return this.client.json('GET', '/images/json', {
      query: { all: options.all || undefined, digests: options.digests || undefined, filters: encodeFilters(options.filters) },
    });
  }

  inspect(name: string): Promise<ImageInspect> {
    return this.client.json('GET', `/images/${enc(name)}/json`);
  }

  history(name: string): Promise<HistoryResponseItem[]> {
    return this.client.json('GET', `/images/${enc(name)}/history`);
  }

  tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    return this.client.call('POST', `/images/${enc(source)}/tag`, { query: { repo, tag } });
  }

  remove(name: string, options: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    return this.client.json('DELETE', `/images/${enc(name)}`, {
      query: { force: options.force || undefined, noprune: options.noPrune || undefined },
    });
  }

  /** Pull progress stream (JSON lines). */
  pull(image: string, tag: string | undefined, options: { platform?: string; registryAuth?: string } = {}): Promise<IncomingMessage> {
    return this.client.request('POST', '/images/create', {
      query: { fromImage: image, tag, platform: options.platform || undefined },
      headers: { 'X-Registry-Auth': options.registryAuth ?? 'e30=' },
    });
  }

  /** Uploads a rootfs tarball (or points at a URL); answers with a JSON progress stream. */
  import(body: Readable | undefined, options: ImportOptions): Promise<IncomingMessage> {
    return this.client.request('POST', '/images/create', {
      query: {
        fromSrc: options.fromSrc,
        repo: options.repo,
        tag: options.tag,
        message: options.message,
        changes: options.changes && options.changes.length > 0 ? options.changes : undefined,
        platform: options.platform || undefined,
      },
      ...(body ? { body } : {}),
    });
  }

  /** Uploads an image archive; answers with a JSON progress stream. */
  load(body: Readable, options: { quiet?: boolean; platform?: string } = {}): Promise<IncomingMessage> {
    return this.client.request('POST', '/images/load', {
      query: { quiet: options.quiet || undefined, platform: options.platform || undefined },
      body,
    });
  }

  /** The image archive as a stream. */
  save(names: string[], options: { platform?: string } = {}): Promise<IncomingMessage> {
    return this.client.request('GET', '/images/get', { query: { names, platform: options.platform || undefined } });
  }
}
