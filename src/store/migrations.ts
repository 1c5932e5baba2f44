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
  {
    version: 3,
    sql: `
      CREATE TABLE exec_sessions (
        id           TEXT PRIMARY KEY,          -- 64 hex
        container_id TEXT NOT NULL,             -- no FK: rows go with the container, removed by the engine
        config_json  TEXT NOT NULL,             -- Docker ExecConfig as created
        state_json   TEXT NOT NULL              -- Running, ExitCode, Pid
      );
      CREATE INDEX exec_sessions_by_container ON exec_sessions(container_id);
    `,
  },
  {
    version: 4,
    sql: `
      CREATE TABLE networks (
        id           TEXT PRIMARY KEY,        -- 64 hex
        name         TEXT NOT NULL UNIQUE,
        driver       TEXT NOT NULL,           -- bridge | host | null
        created      TEXT NOT NULL,           -- RFC3339Nano
        bridge       TEXT NOT NULL,           -- host bridge interface ('' for host/none)
        subnet       TEXT NOT NULL,           -- IPv4 CIDR ('' for host/none)
        gateway      TEXT NOT NULL,
        ip_range     TEXT NOT NULL,
        internal     INTEGER NOT NULL,
        labels_json  TEXT NOT NULL,
        options_json TEXT NOT NULL
      );
      CREATE TABLE network_ips (              -- IPAM: one row per address in use
        network_id   TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        ip           TEXT NOT NULL,
        container_id TEXT NOT NULL,
        PRIMARY KEY (network_id, ip),
        UNIQUE (network_id, container_id)
      );
    `,
  },
  {
    version: 5,
    sql: `
      CREATE TABLE volumes (
        name         TEXT PRIMARY KEY,          -- user's name or 64 hex for anonymous volumes
        driver       TEXT NOT NULL,             -- "local"
        created_at   TEXT NOT NULL,             -- RFC3339
        labels_json  TEXT NOT NULL,             -- {"k":"v"}
        options_json TEXT NOT NULL,             -- DriverOpts as given (type, device, o)
        anonymous    INTEGER NOT NULL DEFAULT 0 -- 1 when created without a name (prune's default target)
      );
    `,
  },
  {
    version: 6,
    sql: `
      CREATE TABLE layer_distribution (
        diff_id    TEXT NOT NULL,   -- sha256 of the uncompressed layer
        digest     TEXT NOT NULL,   -- sha256 of the blob a registry holds (compressed)
        size       INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        registry   TEXT NOT NULL,   -- host[:port]
        repository TEXT NOT NULL,   -- path in that registry
        PRIMARY KEY (diff_id, digest, registry, repository)
      );
    `,
  },
  {
    version: 7,
    sql: `
      CREATE TABLE build_cache (
        parent_id  TEXT NOT NULL,   -- image the step ran on ('scratch' for none)
        cache_key  TEXT NOT NULL,   -- sha256 of the step: instruction after substitution, run config, source hash
        image_id   TEXT NOT NULL,   -- the image the step produced (no FK: a removed image is a cache miss)
        created_at INTEGER NOT NULL,
        PRIMARY KEY (parent_id, cache_key)
      );
    `,
  },
  {
    version: 8,
    sql: `
      ALTER TABLE networks ADD COLUMN attachable INTEGER NOT NULL DEFAULT 0;  -- user-defined networks (issue 4)
    `,
  },
  {
    version: 9,
    sql: `
      ALTER TABLE networks ADD COLUMN subnet6 TEXT NOT NULL DEFAULT '';   -- IPv6 on user-defined networks (issue 4)
      ALTER TABLE networks ADD COLUMN gateway6 TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 10,
    sql: `
      ALTER TABLE networks ADD COLUMN aux_json TEXT NOT NULL DEFAULT '{}';  -- IPAM AuxiliaryAddresses: name → IPv4 kept out of allocation
      ALTER TABLE networks ADD COLUMN ipam6_unused_json TEXT NOT NULL DEFAULT '[]';  -- IPv6 IPAM configs given without EnableIPv6: listed, not used
    `,
  },
];
