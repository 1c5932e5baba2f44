import type { Db } from '../../store/database.js';
import { deleteExecRowsForContainer, findExecIdsByPrefix, getExecRow, insertExec, listExecRowsForContainer, updateExecState, type ExecRow } from '../../store/exec-queries.js';
import { notFound } from '../../errors/engine-error.js';
import type { ExecRecord } from './exec-model.js';

function fromRow(row: ExecRow): ExecRecord {
  return {
    id: row.id,
    containerId: row.container_id,
    config: JSON.parse(row.config_json) as ExecRecord['config'],
    state: JSON.parse(row.state_json) as ExecRecord['state'],
  };
}

export function saveNewExec(db: Db, e: ExecRecord): void {
  insertExec(db, { id: e.id, container_id: e.containerId, config_json: JSON.stringify(e.config), state_json: JSON.stringify(e.state) });
}

export function saveExecState(db: Db, e: ExecRecord): void {
  updateExecState(db, e.id, JSON.stringify(e.state));
}

/** By full id or unique prefix, as Docker resolves exec ids. */
export function requireExec(db: Db, ref: string): ExecRecord {
  const exact = getExecRow(db, ref);
  if (exact) return fromRow(exact);
  const ids = ref === '' ? [] : findExecIdsByPrefix(db, ref);
  const only = ids.length === 1 ? getExecRow(db, ids[0] ?? '') : undefined;
  if (!only) throw notFound(`No such exec instance: ${ref}`);
  return fromRow(only);
}

export function execsOfContainer(db: Db, containerId: string): ExecRecord[] {
  return listExecRowsForContainer(db, containerId).map(fromRow);
}

export function removeExecsOfContainer(db: Db, containerId: string): void {
  deleteExecRowsForContainer(db, containerId);
}
