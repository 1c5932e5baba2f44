import type { EngineContext } from '../engine-context.js';
import { diskUsage } from '../../snapshots/overlay.js';
import { findImage } from '../images/resolve.js';
import type { ContainerRecord } from './container-model.js';

export interface ContainerSize {
  /** Bytes written in the container's own layer. */
  readonly sizeRw: number;
  /** The image's size plus the container's own layer. */
  readonly sizeRootFs: number;
}

/** `docker ps -s` / `inspect --size`: what the container wrote and what its whole filesystem takes. */
export async function containerSize(ctx: EngineContext, c: ContainerRecord): Promise<ContainerSize> {
  const sizeRw = await diskUsage(`${c.runtime.rwDir}/upper`).catch(() => 0);
  const imageSize = findImage(ctx, c.imageId)?.size ?? 0;
  return { sizeRw, sizeRootFs: imageSize + sizeRw };
}
