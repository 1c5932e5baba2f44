import { invalidArgument, notFound } from '../../errors/engine-error.js';

/** 'disabled': Config.NetworkDisabled on a bridge or user network — loopback only and no network attached, as dockerd does. */
export type EffectiveNetworkMode = 'none' | 'host' | 'bridge' | 'bridge-as-none' | 'container' | 'disabled';

/**
 * The network mode a container runs with. The default bridge needs the
 * daemon's bridge; with `--bridge none` it runs as an isolated namespace
 * with loopback only ('bridge-as-none').
 */
export function effectiveNetworkMode(
  requested: string,
  bridge: string,
  /** Whether a user-defined network of that name/id exists; such containers run as 'bridge' on it. */
  userNetworkExists: (ref: string) => boolean = () => false,
): { mode: EffectiveNetworkMode; warning?: string } {
  if (requested === 'none') return { mode: 'none' };
  if (requested === 'host') return { mode: 'host' };
  if (requested === 'bridge' || requested === 'default') return { mode: bridge === 'none' ? 'bridge-as-none' : 'bridge' };
  if (requested.startsWith('container:')) {
    if (requested.length === 'container:'.length) throw invalidArgument('invalid container format container:<name|id>');
    return { mode: 'container' };
  }
  if (bridge !== 'none' && userNetworkExists(requested)) return { mode: 'bridge' };
  // dockerd creates a container on a network that does not exist and fails its start with "network X not found"
  // (a 404 at create would send the docker CLI off to pull the image).
  if (bridge !== 'none') return { mode: 'bridge' };
  throw notFound(`network ${requested} not found`);
}
