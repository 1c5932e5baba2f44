import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileContentStore } from '../../src/content/file-content-store.js';
import { EventBus } from '../../src/events/event-bus.js';
import { createLogger } from '../../src/lib/logger.js';
import { OverlaySnapshotter } from '../../src/snapshots/overlay.js';
import { openDatabase } from '../../src/store/database.js';
import { enginePaths, type EngineContext, type EngineSettings } from '../../src/engine/engine-context.js';

export const TEST_ROOT = '/tmp/berth-images-test';

/** An EngineContext over a fresh data root, for image tests (no runtimes). */
export async function imageTestContext(name: string): Promise<{ ctx: EngineContext; root: string; close(): Promise<void> }> {
  const root = join(TEST_ROOT, name);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const settings: EngineSettings = {
    dataRoot: join(root, 'data'),
    execRoot: join(root, 'exec'),
    logDriver: 'json-file',
    logOpts: {},
    defaultRuntime: 'runc',
    runtimeNames: ['runc'],
    initPath: '',
    liveRestore: false,
    bridge: 'berth0',
    debug: false,
  };
  const db = openDatabase(enginePaths.database(settings));
  const ctx: EngineContext = {
    settings,
    db,
    content: await FileContentStore.open(enginePaths.content(settings)),
    snapshots: await OverlaySnapshotter.open(enginePaths.snapshots(settings)),
    runtimes: new Map(),
    events: new EventBus(),
    log: createLogger('error', () => undefined),
  };
  return {
    ctx,
    root,
    close: async () => {
      db.close();
      await rm(root, { recursive: true, force: true });
      await rmdir(TEST_ROOT).catch(() => undefined); // only once no other image test uses it
    },
  };
}
