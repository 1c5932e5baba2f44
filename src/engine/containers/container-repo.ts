import type { Db } from '../../store/database.js';
import {
  deleteContainerRow,
  findContainerIdsByPrefix,
  getContainerRow,
  getContainerRowByName,
  insertContainer,
  listContainerRows,
  updateContainerState,
  type ContainerRow,
} from '../../store/container-queries.js';
import { invalidArgument, notFound } from '../../errors/engine-error.js';
import type { ContainerRecord } from './container-model.js';

function fromRow(row: ContainerRow): ContainerRecord {
  return {
    id: row.id,
    name: row.name,
    imageId: row.image_id,
    imageRef: row.image_ref,
    created: row.created,
    config: JSON.parse(row.config_json) as ContainerRecord['config'],
    hostConfig: JSON.parse(row.host_config_json) as ContainerRecord['hostConfig'],
    state: JSON.parse(row.state_json) as ContainerRecord['state'],
    runtime: JSON.parse(row.runtime_json) as ContainerRecord['runtime'],
  };
}

function toRow(c: ContainerRecord): ContainerRow {
  return {
    id: c.id,
    name: c.name,
    image_id: c.imageId,
    image_ref: c.imageRef,
    created: c.created,
    config_json: JSON.stringify(c.config),
    host_config_json: JSON.stringify(c.hostConfig),
    state_json: JSON.stringify(c.state),
    runtime_json: JSON.stringify(c.runtime),
  };
}

export function saveNewContainer(db: Db, c: ContainerRecord): void {
  insertContainer(db, toRow(c));
}

export function saveContainerState(db: Db, c: ContainerRecord): void {
  updateContainerState(db, c.id, JSON.stringify(c.state), JSON.stringify(c.runtime));
}

export function removeContainerRecord(db: Db, id: string): void {
  deleteContainerRow(db, id);
}

export function allContainers(db: Db): ContainerRecord[] {
  return listContainerRows(db).map(fromRow);
}

export function getContainerById(db: Db, id: string): ContainerRecord | undefined {
  const row = getContainerRow(db, id);
  return row ? fromRow(row) : undefined;
}

/**
 * Docker's lookup order: full id, exact name (with or without the leading
 * slash), then a unique id prefix.
 */
export function findContainer(db: Db, ref: string): ContainerRecord | undefined {
  if (ref === '') return undefined;
  const byId = getContainerRow(db, ref);
  if (byId) return fromRow(byId);
  const byName = getContainerRowByName(db, ref.startsWith('/') ? ref.slice(1) : ref);
  if (byName) return fromRow(byName);
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  const ids = findContainerIdsByPrefix(db, ref);
  if (ids.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
  const only = ids[0];
  if (only === undefined) return undefined;
  const row = getContainerRow(db, only);
  return row ? fromRow(row) : undefined;
}

export function requireContainer(db: Db, ref: string): ContainerRecord {
  const c = findContainer(db, ref);
  if (!c) throw notFound(`No such container: ${ref}`);
  return c;
}
