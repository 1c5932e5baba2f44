import type { Db } from './database.js';

/** A containers row with its JSON columns still as text; the engine owns their types. */
export interface ContainerRow {
  id: string;
  name: string;
  image_id: string;
  image_ref: string;
  created: string;
  config_json: string;
  host_config_json: string;
  state_json: string;
  runtime_json: string;
}

export function insertContainer(db: Db, row: ContainerRow): void {
  db.prepare(
    `INSERT INTO containers (id, name, image_id, image_ref, created, config_json, host_config_json, state_json, runtime_json)
     VALUES (@id, @name, @image_id, @image_ref, @created, @config_json, @host_config_json, @state_json, @runtime_json)`,
  ).run(row);
}

export function getContainerRow(db: Db, id: string): ContainerRow | undefined {
  return db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as ContainerRow | undefined;
}

export function getContainerRowByName(db: Db, name: string): ContainerRow | undefined {
  return db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as ContainerRow | undefined;
}

export function findContainerIdsByPrefix(db: Db, prefix: string): string[] {
  const rows = db.prepare("SELECT id FROM containers WHERE id LIKE ? ESCAPE '\\'").all(prefix.replace(/[%_\\]/g, '\\$&') + '%') as {
    id: string;
  }[];
  return rows.map((r) => r.id);
}

export function listContainerRows(db: Db): ContainerRow[] {
  return db.prepare('SELECT * FROM containers ORDER BY created DESC, rowid DESC').all() as ContainerRow[];
}

export function updateContainerState(db: Db, id: string, stateJson: string, runtimeJson: string): void {
  db.prepare('UPDATE containers SET state_json = ?, runtime_json = ? WHERE id = ?').run(stateJson, runtimeJson, id);
}

export function renameContainer(db: Db, id: string, name: string): void {
  db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
}

export function updateContainerHostConfig(db: Db, id: string, hostConfigJson: string): void {
  db.prepare('UPDATE containers SET host_config_json = ? WHERE id = ?').run(hostConfigJson, id);
}

export function deleteContainerRow(db: Db, id: string): void {
  db.prepare('DELETE FROM containers WHERE id = ?').run(id);
}
