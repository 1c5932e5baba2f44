import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long the rest of an abandoned body may keep arriving after the reply is written before the connection is cut. */
const DRAIN_AFTER_REPLY_MS = 10_000;

/**
 * Keeps a request's connection alive until its reply is written when a
 * handler gives up on the body early (a build context that fails on its
 * first entry, an archive that is not a tar, a body too large): destroying
 * an `IncomingMessage` that is still arriving destroys its socket, so the
 * client, still uploading, got "broken pipe" instead of the error. Here
 * `req.destroy()` detaches every consumer and reads the rest of the body
 * into nothing instead; so does the end of a reply that left the body
 * partly read. A body still arriving `drainAfterReplyMs` after the reply
 * ended is cut then. A body read to its end is destroyed as usual.
 */
export function guardRequestBody(req: IncomingMessage, res: ServerResponse, drainAfterReplyMs = DRAIN_AFTER_REPLY_MS): void {
  const destroy = req.destroy.bind(req);
  const socket = req.socket;
  let abandoned = false;
  let deadline: NodeJS.Timeout | undefined;

  const abandon = (): void => {
    if (abandoned) return;
    abandoned = true;
    req.unpipe();
    req.removeAllListeners('data');
    req.removeAllListeners('readable');
    // after 'readable' listeners go, Node settles the flowing state on the next tick; resume after it
    process.nextTick(() => {
      req.on('data', () => undefined);
      req.resume();
    });
    if (res.writableFinished) startDeadline();
  };
  const startDeadline = (): void => {
    if (deadline || req.readableEnded) return;
    deadline = setTimeout(() => destroy(), drainAfterReplyMs);
    deadline.unref();
  };

  req.destroy = function guardedDestroy(this: IncomingMessage, err?: Error): IncomingMessage {
    if (req.readableEnded || req.destroyed || res.destroyed) return destroy(err);
    // Node's stream utilities (an async iterator's return, pipeline) detach a server request's
    // socket before destroying it; reading the rest of the body needs it back
    req.socket ??= socket;
    abandon();
    return req;
  };
  res.once('finish', () => {
    if (req.readableEnded || req.destroyed) return;
    abandon();
    startDeadline();
  });
  req.once('end', () => clearTimeout(deadline));
  req.once('close', () => clearTimeout(deadline));
}
