import { CLIENT_API_VERSION } from '../../../client/engine-client.js';

export const BERTH_VERSION = '0.1.0';

/** The client half of `version` and `info`, with docker's field names. */
export function clientVersion(apiVersion: string): Record<string, string> {
  return {
    Version: BERTH_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GitCommit: 'unknown',
    GoVersion: `node${process.versions.node}`,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    BuildTime: '',
    Context: 'default',
  };
}
