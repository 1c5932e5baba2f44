import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest } from './registry-storage.js';

export interface GcResult {
  /** Blobs a manifest of some repository still references (manifests included). */
  readonly marked: number;
  /** Blobs no manifest references: deleted, or only listed on a dry run. */
  readonly eligible: readonly string[];
  readonly bytes: number;
}

interface ManifestRefs {
  config?: { digest?: string };
  layers?: { digest?: string }[];
  manifests?: { digest?: string }[];
}

/**
 * Mark and sweep over a RegistryStorage root (the layout documented in
 * registry-storage.ts): every manifest revision of every repository marks
 * itself, its config, its layers and (for an index) its children; blobs left
 * unmarked are removed with the repository links that point at them. Run it
 * while the registry is stopped or read-only, like distribution's gc: an
 * upload finishing during the sweep could otherwise lose its blob.
 */
export async function garbageCollect(root: string, options: { dryRun: boolean }): Promise<GcResult> {
  const marked = new Set<string>();
  const blobPath = (d: string): string => join(root, 'blobs', 'sha256', d.slice(7));
  const layerLinks: string[] = [];
  const markManifest = async (digest: string): Promise<void> => {
    if (marked.has(digest)) return;
    marked.add(digest);
    let refs: ManifestRefs;
    try {
      refs = JSON.parse(await readFile(blobPath(digest), 'utf8')) as ManifestRefs;
    } catch {
      return;
    }
    for (const d of [refs.config?.digest, ...(refs.layers ?? []).map((l) => l.digest)]) if (d && isDigest(d)) marked.add(d);
    for (const m of refs.manifests ?? []) if (m.digest && isDigest(m.digest)) await markManifest(m.digest);
  };
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (e.name === '_manifests') {
        for (const hex of await readdir(join(sub, 'revisions')).catch(() => [] as string[])) await markManifest(`sha256:${hex}`);
      } else if (e.name === '_layers') {
        for (const hex of await readdir(sub)) layerLinks.push(join(sub, hex));
      } else if (e.name !== '_referrers') {
        await walk(sub);
      }
    }
  };
  await walk(join(root, 'repositories'));
  const eligible: string[] = [];
  let bytes = 0;
  for (const hex of await readdir(join(root, 'blobs', 'sha256'))) {
    const digest = `sha256:${hex}`;
    if (marked.has(digest) || !isDigest(digest)) continue;
    eligible.push(digest);
    bytes += (await stat(blobPath(digest)).catch(() => undefined))?.size ?? 0;
  }
  if (!options.dryRun) {
    const gone = new Set(eligible.map((d) => d.slice(7)));
    for (const link of layerLinks) if (gone.has(link.slice(link.lastIndexOf('/') + 1))) await rm(link, { force: true });
    for (const d of eligible) await rm(blobPath(d), { force: true });
  }
  return { marked: marked.size, eligible: eligible.sort(), bytes };
}
