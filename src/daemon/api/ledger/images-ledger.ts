import { ignoredAsDockerd, implemented, refused, type LedgerTable } from './ledger-types.js';
import { withPrefix } from './ledger-prefix.js';
import { containerConfigFields } from './container-config-ledger.js';

const IMAGES = 'test/integration/images-cli.test.ts';
const BUILD = 'test/integration/build-classic.test.ts';
const BUILD_EXTRAS = 'test/integration/build-extras.test.ts';
const PUSH_PULL = 'test/integration/registry-push-pull.test.ts';
const AUTH = 'test/integration/registry-auth.test.ts';
const COMMIT = 'test/integration/cp-commit-diff.test.ts';
const FILTERS = 'test/integration/list-filters.test.ts';
const commitBody = implemented('test/integration/cp-commit-diff.test.ts', 'commit body');
const notYet = (what: string) => refused('invalid_argument', `${what} is not supported by berth yet`);

export const imagesLedger: LedgerTable = {
  'GET /images/json': implemented(IMAGES, "'images'"),
  'GET /images/json ?all': implemented('test/integration/build-cache-images.test.ts', "'-a'"),
  'GET /images/json ?filters': implemented(FILTERS, 'dangling'),
  'GET /images/json ?digests': implemented(PUSH_PULL, '--digests'),
  'GET /images/json ?shared-size': notYet('shared-size (the images list with shared sizes; `docker system df` has them)'),
  'GET /images/json ?manifests': notYet('manifests in the images list (API 1.47)'),

  'POST /build': implemented(BUILD, "'build'"),
  'POST /build ?dockerfile': implemented(BUILD, "'-f'"),
  'POST /build ?t': implemented(BUILD, "'-t'"),
  'POST /build ?extrahosts': implemented(BUILD, '--add-host'),
  'POST /build ?remote': notYet('a remote build context (remote=URL)'),
  'POST /build ?q': implemented(BUILD, "'-q'"),
  'POST /build ?nocache': implemented('test/integration/build-classic.test.ts', '--no-cache'),
  'POST /build ?cachefrom': notYet('--cache-from (cachefrom)'),
  'POST /build ?pull': implemented('test/integration/api-ledger-refusals.test.ts', 'pull'),
  'POST /build ?rm': implemented(BUILD, '--rm'),
  'POST /build ?forcerm': implemented('test/integration/build-cache-images.test.ts', '--force-rm'),
  'POST /build ?memory': implemented('test/integration/build-extras.test.ts', '--memory'),
  'POST /build ?memswap': implemented('test/integration/build-extras.test.ts', '--memory-swap'),
  'POST /build ?cpushares': implemented('test/integration/build-extras.test.ts', '--cpu-shares'),
  'POST /build ?cpusetcpus': implemented('test/integration/build-extras.test.ts', '--cpuset-cpus'),
  'POST /build ?cpuperiod': implemented('test/integration/build-extras.test.ts', '--cpu-period'),
  'POST /build ?cpuquota': implemented('test/integration/build-extras.test.ts', '--cpu-quota'),
  'POST /build ?buildargs': implemented(BUILD, '--build-arg'),
  'POST /build ?shmsize': implemented('test/integration/build-extras.test.ts', '--shm-size'),
  // dockerd without experimental features: "squash is only supported with experimental mode".
  'POST /build ?squash': refused('invalid_argument', 'squash is only supported with experimental mode'),
  'POST /build ?labels': implemented('test/integration/build-cache-images.test.ts', '--label'),
  'POST /build ?networkmode': implemented(BUILD, '--network'),
  'POST /build header Content-type': ignoredAsDockerd('dockerd reads the body as a tar archive (plain, gzip, bzip2 or xz) whatever the header says'),
  'POST /build header X-Registry-Config': implemented(AUTH, 'X-Registry-Config'),
  'POST /build ?platform': implemented('test/integration/create-fields.test.ts', '--platform'),
  'POST /build ?target': implemented(BUILD, '--target'),
  'POST /build ?outputs': notYet('build outputs (a BuildKit exporter)'),
  'POST /build ?version': refused('invalid_argument', 'BuildKit (builder version 2) is not supported by berth; use the classic builder (DOCKER_BUILDKIT=0)', ['1']),
  'POST /build/prune': implemented(BUILD_EXTRAS, "'prune'"),
  'POST /build/prune ?keep-storage': notYet('keep-storage on build cache prune'),
  'POST /build/prune ?reserved-space': notYet('reserved-space on build cache prune'),
  'POST /build/prune ?max-used-space': notYet('max-used-space on build cache prune'),
  'POST /build/prune ?min-free-space': notYet('min-free-space on build cache prune'),
  'POST /build/prune ?all': implemented(BUILD_EXTRAS, '--all'),
  'POST /build/prune ?filters': implemented(BUILD_EXTRAS, '--filter'),

  'POST /images/create': implemented(PUSH_PULL, "'pull'"),
  'POST /images/create ?fromImage': implemented(PUSH_PULL, "'pull'"),
  'POST /images/create ?fromSrc': implemented(IMAGES, "'import'"),
  'POST /images/create ?repo': implemented(IMAGES, "'import'"),
  'POST /images/create ?tag': implemented(PUSH_PULL, "'pull'"),
  'POST /images/create ?message': implemented('test/integration/api-ledger-refusals.test.ts', 'message'),
  'POST /images/create ?changes': implemented('test/integration/bad-input.test.ts', 'changes'),
  'POST /images/create header X-Registry-Auth': implemented(AUTH, "'login'"),
  'POST /images/create ?platform': implemented(PUSH_PULL, '--platform'),
  'GET /images/{name}/json': implemented(IMAGES, "'inspect'"),
  'GET /images/{name}/json ?manifests': notYet('manifests in image inspect (API 1.48)'),
  'GET /images/{name}/history': implemented(IMAGES, "'history'"),
  'GET /images/{name}/history ?platform': notYet('platform on image history (API 1.48)'),
  'POST /images/{name}/push': implemented(PUSH_PULL, "'push'"),
  'POST /images/{name}/push ?tag': implemented(PUSH_PULL, "'push'"),
  'POST /images/{name}/push header X-Registry-Auth': implemented(AUTH, "'push'"),
  'POST /images/{name}/push ?platform': implemented(PUSH_PULL, '--platform'),
  'POST /images/{name}/tag': implemented(IMAGES, "'tag'"),
  'POST /images/{name}/tag ?repo': implemented(IMAGES, "'tag'"),
  'POST /images/{name}/tag ?tag': implemented(IMAGES, "'tag'"),
  'DELETE /images/{name}': implemented(IMAGES, "'rmi'"),
  'DELETE /images/{name} ?force': implemented(IMAGES, "'-f'"),
  'DELETE /images/{name} ?noprune': implemented('test/integration/images-orphan-layers.test.ts', 'noprune'),
  'DELETE /images/{name} ?platforms': notYet('platforms on image delete (API 1.50)'),
  'GET /images/search': implemented('test/integration/registry-mirror-search.test.ts', "'search'"),
  'GET /images/search ?term': implemented('test/integration/registry-mirror-search.test.ts', "'search'"),
  'GET /images/search ?limit': implemented('test/integration/api-versioned-behaviour.test.ts', 'limit'),
  'GET /images/search ?filters': implemented('test/integration/registry-mirror-search.test.ts', '--filter'),
  'POST /images/prune': implemented('test/integration/volumes-df-prune.test.ts', "'prune'"),
  'POST /images/prune ?filters': implemented('test/integration/build-extras.test.ts', 'until='),
  'GET /images/{name}/get': implemented(IMAGES, "'save'"),
  'GET /images/{name}/get ?platform': notYet('platform on image save (API 1.48)'),
  'GET /images/get': implemented(IMAGES, "'save'"),
  'GET /images/get ?names': implemented(IMAGES, "'save'"),
  'GET /images/get ?platform': notYet('platform on image save (API 1.48)'),
  'POST /images/load': implemented(IMAGES, "'load'"),
  'POST /images/load ?quiet': implemented(IMAGES, "'-q'"),
  'POST /images/load ?platform': notYet('platform on image load (API 1.48)'),

  'POST /commit': implemented(COMMIT, "'commit'"),
  // The commit body (a config merged over the container's in dockerd) is not applied yet: refuse it rather than drop it.
  ...withPrefix('POST /commit body ', Object.fromEntries(Object.keys(containerConfigFields).map((k) => [k, commitBody]))),
  'POST /commit ?container': implemented(COMMIT, "'commit'"),
  'POST /commit ?repo': implemented(COMMIT, "'commit'"),
  'POST /commit ?tag': implemented(COMMIT, "'commit'"),
  'POST /commit ?comment': implemented(COMMIT, "'-m'"),
  'POST /commit ?author': implemented(COMMIT, "'-a'"),
  'POST /commit ?pause': implemented(COMMIT, 'pause'),
  'POST /commit ?changes': implemented(COMMIT, "'-c'"),

  'GET /distribution/{name}/json': notYet('GET /distribution/{name}/json (registry manifest lookup)'),
};
