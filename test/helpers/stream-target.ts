/**
 * The daemon a streams test talks to: a fresh berthd, or — with
 * BERTH_STREAMS_AGAINST=dockerd — the reference dockerd, so the same
 * assertions prove what dockerd does. Both have busybox loaded.
 * Lifecycle: startStreamTarget() → tests → stop().
 */
import { busyboxTarball, loadBusybox, runCli, startBerthd } from './berthd-harness.js';
import { startReferenceDockerd } from './reference-dockerd.js';

export interface StreamTarget {
  readonly kind: 'berthd' | 'dockerd';
  /** The API's unix socket. */
  readonly socket: string;
  /** Environment for the docker CLI. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startStreamTarget(testName: string): Promise<StreamTarget> {
  if (process.env.BERTH_STREAMS_AGAINST === 'dockerd') {
    const ref = await startReferenceDockerd();
    const r = await runCli('docker', ['load'], { env: ref.env, input: await busyboxTarball(), timeoutMs: 120_000 });
    if (r.code !== 0) {
      await ref.stop();
      throw new Error(`docker load failed: ${r.stderr}`);
    }
    return { kind: 'dockerd', socket: `${ref.root}/docker.sock`, env: ref.env, stop: () => ref.stop() };
  }
  const h = await startBerthd(testName);
  try {
    await loadBusybox(h);
  } catch (err) {
    await h.stop();
    throw err;
  }
  return { kind: 'berthd', socket: h.socket, env: h.env, stop: () => h.stop() };
}
