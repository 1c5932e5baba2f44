import type { Duplex } from 'node:stream';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import type { AttachSink } from '../../../engine/containers/attach-sink.js';
import { attachContainer } from '../../../engine/containers/attach.js';
import { requireContainer } from '../../../engine/containers/container-repo.js';
import { queryBool, type RequestContext } from '../request-context.js';
import { hijack } from '../reply.js';
import { HijackedBody } from '../hijacked-body.js';
import { DetachKeyScanner, parseDetachKeys } from '../../../engine/containers/detach-keys.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, frame } from '../stdcopy.js';

/**
 * POST /containers/{id}/attach: hijacks the connection (101 for `Upgrade: tcp`)
 * and streams output as multiplexed frames (raw for TTY containers); bytes
 * from the client are the container's stdin.
 */
export async function handleAttach(sup: ContainerSupervisor, ctx: RequestContext): Promise<void> {
  const c = requireContainer(sup.ctx.db, ctx.params['id'] ?? '');
  const tty = c.config.Tty;
  const wantStdin = queryBool(ctx.query, 'stdin');
  // moby's stream.Attach looks for detach keys only with a TTY; without one stdin is copied as it is.
  const scanner = c.config.Tty ? new DetachKeyScanner(parseDetachKeys(ctx.query.get('detachKeys') ?? '')) : undefined;
  const socket: Duplex = hijack(ctx, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  let closed = false;
  let ended = false;
  const pendingStdin: Buffer[] = [];
  let stdinWriter: ((d: Buffer) => void) | undefined;
  let stdinCloser: (() => void) | undefined;
  let stdinEnded = false;

  const sink: AttachSink = {
    stdout: queryBool(ctx.query, 'stdout'),
    stderr: queryBool(ctx.query, 'stderr'),
    wantsStdin: wantStdin,
    get closed() {
      return closed;
    },
    write(stream, data) {
      if (closed || ended) return;
      socket.write(tty ? data : frame(stream, data));
    },
    end() {
      if (ended) return;
      ended = true;
      if (!closed) socket.end();
    },
    connectStdin(write, close) {
      stdinWriter = write;
      stdinCloser = close;
      for (const chunk of pendingStdin.splice(0)) write(chunk);
      if (stdinEnded && c.config.StdinOnce && !detached) close();
    },
  };
  // Docker's detach keys (ctrl-p ctrl-q): the client goes away, the container and its stdin stay.
  let detached = false;
  const onStdin = (raw: Buffer): void => {
    if (!wantStdin || ended) return;
    const { data: chunk, detach } = scanner ? scanner.feed(raw) : { data: raw, detach: false };
    if (chunk.length > 0) {
      if (stdinWriter) stdinWriter(chunk);
      else pendingStdin.push(chunk);
    }
    if (detach) {
      detached = true;
      sup.removeAttachSink(c.id, sink);
      sink.end();
    }
  };
  const body = new HijackedBody(ctx.upgradeSocket ? ctx.req.headers : {}, ctx.upgradeHead);
  const onBytes = (raw: Buffer): void => {
    const rest = body.strip(raw);
    if (rest.length > 0) onStdin(rest);
  };
  if (ctx.upgradeHead && ctx.upgradeHead.length > 0) onBytes(ctx.upgradeHead);
  socket.on('data', onBytes);
  socket.on('end', () => {
    stdinEnded = true;
    if (stdinCloser && c.config.StdinOnce && !detached) stdinCloser();
    // dockerd (container/stream/attach.go): without StdinOnce the end of the client's stdin ends the attach; the container's stdin stays open.
    else if (wantStdin && !c.config.StdinOnce && !detached) {
      sup.removeAttachSink(c.id, sink);
      sink.end();
    }
  });
  socket.on('close', () => {
    closed = true;
    sup.removeAttachSink(c.id, sink);
  });
  socket.on('error', () => {
    closed = true;
  });
  try {
    await attachContainer(sup, c.id, sink, { logs: queryBool(ctx.query, 'logs'), stream: queryBool(ctx.query, 'stream') });
  } catch (err) {
    sink.end();
    throw err;
  }
}
