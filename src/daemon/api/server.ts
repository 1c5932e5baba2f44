import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { RequestContext } from './request-context.js';
import type { Router } from './router.js';
import { httpStatusOf, messageOf } from './http-status.js';
import { sendError } from './reply.js';
import { guardRequestBody } from '../../lib/request-body-guard.js';
import { API_VERSION, MIN_API_VERSION, compareVersions, splitVersionPrefix } from './versions.js';
import { bindLedgerOperation, ledgerOperationOf, queryRefusal } from './ledger/refusal-check.js';

export interface ApiLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** PEM material for a mutual-TLS listener: clients must present a certificate signed by `ca`. */
export interface ApiTlsOptions {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/*
 * Limits that keep one client from hurting the others: headers must arrive
 * within headersTimeout and fit maxHeaderSize (Node's 16 KiB default, stated
 * here as a contract), idle keep-alive connections close after
 * keepAliveTimeout. requestTimeout stays 0: attach, logs -f and events are
 * long-lived by design. JSON bodies are capped in request-context.ts.
 */
const serverLimits = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024 } as const;

/** Builds the Engine API HTTP server around a router (HTTPS with client certificates when `tls` is given). Listening is the caller's job. */
export function createApiServer(router: Router, log: ApiLogger, tls?: ApiTlsOptions): Server {
  const server: Server = tls
    ? createHttpsServer({ ...serverLimits, ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' })
    : createServer(serverLimits);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void dispatch(router, log, req, res, undefined, undefined);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void dispatch(router, log, req, undefined, socket, head);
  });
  return server;
}

async function dispatch(
  router: Router,
  log: ApiLogger,
  req: IncomingMessage,
  res: ServerResponse | undefined,
  upgradeSocket: Duplex | undefined,
  upgradeHead: Buffer | undefined,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://berth');
  const { version, path } = splitVersionPrefix(url.pathname);
  const method = req.method ?? 'GET';
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  (res ?? upgradeSocket)?.on('close', onClose);
  if (res) guardRequestBody(req, res);
  const ctx: RequestContext = {
    req,
    res,
    upgradeSocket,
    upgradeHead,
    method,
    path,
    params: {},
    query: url.searchParams,
    apiVersion: version ?? API_VERSION,
    signal: abort.signal,
  };
  log.debug('api request', { method, path: url.pathname + url.search });
  if (version !== undefined) {
    if (compareVersions(version, MIN_API_VERSION) < 0) {
      sendError(ctx, 400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      return;
    }
    if (compareVersions(version, API_VERSION) > 0) {
      sendError(ctx, 400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      return;
    }
  }
  const found = router.match(method, path);
  // The field ledger refuses what Berth cannot honour before any handler runs.
  const op = ledgerOperationOf(method, path) ?? (method === 'HEAD' ? ledgerOperationOf('GET', path) : undefined);
  if (op) bindLedgerOperation(req, op.key);
  const refusal = queryRefusal(op, url.searchParams, found !== undefined);
  if (refusal) {
    sendError(ctx, httpStatusOf(refusal), refusal.message);
    return;
  }
  if (!found) {
    sendError(ctx, 404, 'page not found');
    return;
  }
  try {
    await found.handler({ ...ctx, params: found.params });
  } catch (err) {
    const status = httpStatusOf(err);
    if (status >= 500) log.error('api handler failed', { method, path, error: messageOf(err), stack: (err as Error).stack });
    if (res?.headersSent) {
      res.destroy();
      return;
    }
    sendError({ ...ctx, params: found.params }, status, messageOf(err));
  }
}
