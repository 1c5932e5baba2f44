import { sha256Digest } from '../lib/digest.js';

/** Chain ids of a layer stack, bottom-most first (OCI: ChainID(L0|…|Ln) = sha256(ChainID(…Ln-1) + " " + DiffID(Ln))). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`));
  }
  return out;
}
