/** A mount(2) call described, never performed by the snapshotter. */
export interface MountDescription {
  readonly type: string; // "overlay" | "bind"
  readonly source: string;
  readonly options: readonly string[];
}

/**
 * Layer snapshots keyed by chain id. Lifecycle: `commitLayer` unpacks a layer
 * on top of its parent into a temp dir and publishes it atomically under its
 * chain id; `prepareWritable` creates a container's upper/work dirs and returns
 * the mounts for a rootfs over a layer stack; `removeWritable` and
 * `removeLayer` delete them. Snapshotters describe mounts and never mount.
 */
export interface Snapshotter {
  /** True when the layer's snapshot is already unpacked. */
  hasLayer(chainId: string): Promise<boolean>;
  /** Unpacks with `apply(dir)` into a fresh dir and publishes it as `chainId`. Returns the unpacked size. */
  commitLayer(chainId: string, apply: (dir: string) => Promise<void>): Promise<{ size: number }>;
  /** Directory holding an unpacked layer (read-only by convention). */
  layerDir(chainId: string): string;
  removeLayer(chainId: string): Promise<void>;
  /** Chain ids of all published layer snapshots (for garbage collection). */
  listLayers(): Promise<string[]>;
  /**
   * Mounts for a container rootfs: `chainIds` bottom-most first; creates
   * `<rwDir>/upper` and `<rwDir>/work`.
   */
  prepareWritable(rwDir: string, chainIds: readonly string[]): Promise<MountDescription[]>;
  removeWritable(rwDir: string): Promise<void>;
}
