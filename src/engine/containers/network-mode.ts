import { invalidArgument, notFound } from '../../errors/engine-error.js';

/**
 * Network modes this build supports. Until bridge networking lands, the
 * default bridge runs as an isolated namespace with loopback only, and says so.
 */
export function effectiveNetworkMode(requested: string, bridge: string): { mode: 'none' | 'host' | 'bridge-as-none'; warning?: string } {
  if (requested === 'none') return { mode: 'none' };
  if (requested === 'host') return { mode: 'host' };
  if (requested === 'bridge' || requested === 'default') {
    return {
      mode: 'bridge-as-none',
      warning:
        bridge === 'none'
          ? undefined
          : 'bridge networking is not available yet in this Berth build: the container gets its own network namespace with loopback only',
    } as { mode: 'bridge-as-none'; warning?: string };
  }
  if (requested.startsWith('container:')) throw invalidArgument('container network mode is not supported yet in this Berth build');
  throw notFound(`network ${requested} not found`);
}
