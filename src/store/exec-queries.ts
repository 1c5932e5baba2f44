import type { Db } from './database.js';

/** An exec_sessions row with its JSON columns still as text; the engine owns their types. */
export interface ExecRow {
  id: string;
  container_id: string;
  config_json: string;
  state_json: string;
}

export function insertExec(db: Db, row: ExecRow): void {
  db.prepare('INSERT INTO exec_sessions (id, container_id, config_json, state_json) VALUES (@id, @container_id, @config_json, @state_json)').run(row);
}

export function updateExecState(db: Db, id: string, stateJson: string): void {
  db.prepare('UPDATE exec_sessions SET state_json = ? WHERE id = ?').run(stateJson, id);
}

export function getExecRow(db: Db, id: string): ExecRow | undefined {
  return db.prepare('SELECT * FROM exec_sessions WHERE id = ?').get(id) as ExecRow | undefined;
}

export function findExecIdsByPrefix(db: Db, prefix: string): string[] {
  return (db.prepare("SELECT id FROM exec_sessions WHERE id LIKE ? || '%' LIMIT 2").all(prefix) as { id: string }[]).map((r) => r.id);
}

export function listExecRowsForContainer(db: Db, containerId: string): ExecRow[] {
  return db.prepare('SELECT * FROM exec_sessions WHERE container_id = ? ORDER BY rowid').all(containerId) as ExecRow[];
}

export function deleteExecRowsForContainer(db: Db, containerId: string): void {
  db.prepare('DELETE FROM exec_sessions WHERE container_id = ?').run(containerId);
}
