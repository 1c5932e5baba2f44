import { randomBytes } from 'node:crypto';
import { invalidArgument, notFound } from '../../errors/engine-error.js';
import { getVolumeRow, insertVolume } from '../../store/volume-queries.js';
import type { EngineContext } from '../engine-context.js';
import { rfc3339Now, volumeDriver, volumeFromRow, type VolumeRecord } from './volume-model.js';

export interface CreateVolumeOptions {
  readonly name?: string;
  readonly driver?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** Created implicitly for a container mount without a name. */
  readonly anonymous?: boolean;
}

const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's local volume name rule (volume/local/local.go). */
export function validateVolumeName(name: string): void {
  if (!validName.test(name)) {
    throw invalidArgument(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  // The name becomes a directory name: beyond NAME_MAX (255) mkdir would fail with ENAMETOOLONG, a 500.
  if (name.length > 255) throw invalidArgument(`create ${name.slice(0, 64)}…: volume name is too long (${name.length} characters, at most 255)`);
}

/**
 * POST /volumes/create. Creating a name that exists returns the existing
 * volume (Docker's create is idempotent); a missing name makes an anonymous volume.
 */
export async function createVolume(ctx: EngineContext, opts: CreateVolumeOptions = {}): Promise<VolumeRecord> {
  const driverName = opts.driver === undefined || opts.driver === '' ? 'local' : opts.driver;
  if (driverName !== 'local') throw notFound(`error looking up volume plugin ${driverName}: plugin "${driverName}" not found`);
  const anonymous = opts.name === undefined || opts.name === '';
  const name = anonymous ? randomBytes(32).toString('hex') : (opts.name as string);
  validateVolumeName(name);
  const existing = getVolumeRow(ctx.db, name);
  if (existing) return volumeFromRow(ctx, existing);
  const driver = volumeDriver(ctx);
  const options = { ...(opts.driverOpts ?? {}) };
  driver.validateOptions(options);
  await driver.create(name, options);
  const row = {
    name,
    driver: driverName,
    created_at: rfc3339Now(),
    labels_json: JSON.stringify({ ...(opts.labels ?? {}), ...(anonymous ? { 'com.docker.volume.anonymous': '' } : {}) }),
    options_json: JSON.stringify(options),
    anonymous: anonymous || opts.anonymous === true ? 1 : 0,
  };
  if (!insertVolume(ctx.db, row)) {
    const raced = getVolumeRow(ctx.db, name);
    if (raced) return volumeFromRow(ctx, raced);
  }
  ctx.events.publish('volume', 'create', name, { driver: driverName });
  return volumeFromRow(ctx, row);
}
