import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import type { AttachSink } from '../../../engine/containers/attach-sink.js';
import { attachContainer } from '../../../engine/containers/attach.js';
import { requireContainer } from '../../../engine/containers/container-repo.js';
import { DetachKeyScanner, parseDetachKeys } from '../../../engine/containers/detach-keys.js';
import { queryBool, type RequestContext } from '../request-context.js';
import { sendError } from '../reply.js';
import { compareVersions } from '../versions.js';

/** One server for all websocket attaches; it never listens, it only completes upgrades. */
let wss: WebSocketServer | undefined;
function server(): WebSocketServer {
  wss ??= new WebSocketServer({ noServer: true, perMessageDeflate: false });
  return wss;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * GET /containers/{id}/attach/ws: Docker's websocket attach. Output is never
 * multiplexed (one message per chunk, binary frames from API 1.42 on, text
 * before, as moby does); every client message is stdin.
 */
export async function handleAttachWs(sup: ContainerSupervisor, ctx: RequestContext): Promise<void> {
  const c = requireContainer(sup.ctx.db, ctx.params['id'] ?? '');
  const socket = ctx.upgradeSocket;
  if (!socket || (ctx.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    sendError(ctx, 400, 'websocket upgrade expected');
    return;
  }
  const binary = compareVersions(ctx.apiVersion, '1.42') >= 0;
  const wantStdin = queryBool(ctx.query, 'stdin');
  // moby's stream.Attach looks for detach keys only with a TTY; without one stdin is copied as it is.
  const scanner = c.config.Tty ? new DetachKeyScanner(parseDetachKeys(ctx.query.get('detachKeys') ?? '')) : undefined;
  const ws = await new Promise<WebSocket>((resolve) => {
    server().handleUpgrade(ctx.req, socket, ctx.upgradeHead ?? Buffer.alloc(0), resolve);
  });

  let closed = false;
  let ended = false;
  let detached = false;
  const pendingStdin: Buffer[] = [];
  let stdinWriter: ((d: Buffer) => void) | undefined;
  let stdinCloser: (() => void) | undefined;
  // moby: when the websocket goes away, a StdinOnce container's stdin is closed (so `cat` sees EOF).
  const closesStdin = (): boolean => wantStdin && c.config.StdinOnce && !detached;
  const sink: AttachSink = {
    stdout: queryBool(ctx.query, 'stdout'),
    stderr: queryBool(ctx.query, 'stderr'),
    wantsStdin: wantStdin,
    get closed() {
      return closed;
    },
    write(_stream, data) {
      if (closed || ended) return;
      ws.send(data, { binary });
    },
    end() {
      if (ended) return;
      ended = true;
      if (!closed) ws.close(1000);
    },
    connectStdin(write, close) {
      stdinWriter = write;
      stdinCloser = close;
      for (const chunk of pendingStdin.splice(0)) write(chunk);
      if (closed && closesStdin()) close();
    },
  };
  ws.on('message', (data) => {
    if (!wantStdin || ended) return;
    const { data: chunk, detach } = scanner ? scanner.feed(toBuffer(data)) : { data: toBuffer(data), detach: false };
    if (chunk.length > 0) {
      if (stdinWriter) stdinWriter(chunk);
      else pendingStdin.push(chunk);
    }
    if (detach && !detached) {
      detached = true;
      sup.removeAttachSink(c.id, sink);
      sink.end();
    }
  });
  ws.on('close', () => {
    closed = true;
    sup.removeAttachSink(c.id, sink);
    if (stdinCloser && closesStdin()) stdinCloser();
  });
  ws.on('error', () => {
    closed = true;
  });
  try {
    await attachContainer(sup, c.id, sink, { logs: queryBool(ctx.query, 'logs'), stream: queryBool(ctx.query, 'stream') });
  } catch (err) {
    // The upgrade is done: an error can only close the websocket.
    closed = true;
    ws.close(1011, (err as Error).message.slice(0, 120));
  }
}
