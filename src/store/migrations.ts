/**
 * Schema migrations, applied in order inside one transaction each.
 * Never edit a shipped migration; append a new one.
 */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE layers (
        chain_id   TEXT PRIMARY KEY,          -- sha256:… chain id of this layer stack
        diff_id    TEXT NOT NULL,             -- sha256:… of the uncompressed layer tar
        parent     TEXT REFERENCES layers(chain_id),
        size       INTEGER NOT NULL,          -- bytes unpacked
        created_at INTEGER NOT NULL
      );
      CREATE TABLE images (
        id          TEXT PRIMARY KEY,         -- sha256:… of the image config
        config_json TEXT NOT NULL,            -- the image config blob, verbatim
        top_layer   TEXT REFERENCES layers(chain_id),
        size        INTEGER NOT NULL,
        created_at  INTEGER NOT NULL          -- when it arrived here (ms)
      );
      CREATE TABLE image_tags (
        reference TEXT PRIMARY KEY,           -- normalised, e.g. docker.io/library/busybox:latest
        image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
      );
      CREATE INDEX image_tags_by_image ON image_tags(image_id);
      CREATE TABLE image_digests (
        reference TEXT PRIMARY KEY,           -- docker.io/library/busybox@sha256:…
        image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
      );
      CREATE TABLE containers (
        id               TEXT PRIMARY KEY,    -- 64 hex
        name             TEXT NOT NULL UNIQUE,-- without the leading slash
        image_id         TEXT NOT NULL,
        image_ref        TEXT NOT NULL,       -- what the user asked for (Config.Image)
        created          TEXT NOT NULL,       -- RFC3339Nano
        config_json      TEXT NOT NULL,       -- Docker Config
        host_config_json TEXT NOT NULL,       -- Docker HostConfig
        state_json       TEXT NOT NULL,       -- ContainerState
        runtime_json     TEXT NOT NULL        -- runtime facts: bundle, log path, runtime name, rw dir
      );
    `,
  },
  {
    version: 2,
    sql: `
      ALTER TABLE images ADD COLUMN last_tag_time TEXT;  -- RFC3339Nano of the last tag (Docker's Metadata.LastTagTime)
    `,
  },
];
