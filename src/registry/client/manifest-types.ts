/** Manifest media types a pull accepts, in preference order. */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const MANIFEST_ACCEPT = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export function isIndex(mediaType: string, body: unknown): body is ImageIndex {
  return mediaType === MEDIA_TYPES.dockerList || mediaType === MEDIA_TYPES.ociIndex || (typeof body === 'object' && body !== null && Array.isArray((body as ImageIndex).manifests));
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64/v8` → Platform; empty → linux/amd64 (this host). */
export function parsePlatform(text: string | undefined): Platform {
  if (!text) return { os: 'linux', architecture: 'amd64' };
  const [os = 'linux', architecture = 'amd64', variant] = text.toLowerCase().split('/');
  const arch = architecture === 'x86_64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture;
  return { os, architecture: arch, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The index entry for `want` (variant matched when asked for), as containerd's platform matcher. */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  if (want.variant) return candidates.find((m) => m.platform?.variant === want.variant) ?? candidates.find((m) => !m.platform?.variant);
  return candidates.find((m) => !m.platform?.variant || m.platform.variant === 'v8') ?? candidates[0];
}
