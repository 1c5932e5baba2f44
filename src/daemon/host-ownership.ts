// What this daemon holds on the host, so that a second berthd refuses to start on it instead of flushing and deleting it.
import { acquireOwnerLock, type OwnerLock } from '../lib/owner-lock.js';
import type { DaemonConfig } from './config/daemon-config.js';

/** Host-wide owner records of bridges (bridge names, and the iptables chains named after them, are host-wide). */
export const BRIDGE_LOCK_DIR = '/run/lock/berth';

export const bridgeLockPath = (bridge: string): string => `${BRIDGE_LOCK_DIR}/bridge-${bridge}.lock`;

/**
 * Locks the data root, the exec root and the default bridge (with its
 * chains BERTH-*-<bridge>) before anything touches them; throws naming the
 * holder when another live berthd has one. Lifecycle: claim at start,
 * release() at clean exit (a killed daemon's locks go with it).
 */
export function claimHostOwnership(config: Pick<DaemonConfig, 'dataRoot' | 'execRoot' | 'bridge' | 'hosts'>): { release(): void } {
  const facts = { pid: process.pid, dataRoot: config.dataRoot, hosts: config.hosts };
  const held: OwnerLock[] = [];
  try {
    held.push(acquireOwnerLock(`${config.dataRoot}/berthd.lock`, `data root ${config.dataRoot}`, facts));
    held.push(acquireOwnerLock(`${config.execRoot}/berthd.lock`, `exec root ${config.execRoot}`, facts));
    if (config.bridge !== 'none') {
      held.push(acquireOwnerLock(bridgeLockPath(config.bridge), `bridge ${config.bridge} (and its iptables chains BERTH-*-${config.bridge})`, facts));
    }
  } catch (err) {
    for (const l of held.reverse()) l.release();
    throw err;
  }
  return {
    release: () => {
      for (const l of held.reverse()) l.release();
    },
  };
}
