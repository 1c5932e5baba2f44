import type { Db } from './database.js';

/** A volumes row with its JSON columns still as text. */
export interface VolumeRow {
  name: string;
  driver: string;
  created_at: string;
  labels_json: string;
  options_json: string;
  anonymous: number;
}

/** Inserts a volume; returns false when the name exists already. */
export function insertVolume(db: Db, row: VolumeRow): boolean {
  const r = db
    .prepare(
      `INSERT OR IGNORE INTO volumes (name, driver, created_at, labels_json, options_json, anonymous)
       VALUES (@name, @driver, @created_at, @labels_json, @options_json, @anonymous)`,
    )
    .run(row);
  return r.changes === 1;
}

export function getVolumeRow(db: Db, name: string): VolumeRow | undefined {
  return db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as VolumeRow | undefined;
}

export function listVolumeRows(db: Db): VolumeRow[] {
  return db.prepare('SELECT * FROM volumes ORDER BY name').all() as VolumeRow[];
}

export function deleteVolumeRow(db: Db, name: string): void {
  db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
}
