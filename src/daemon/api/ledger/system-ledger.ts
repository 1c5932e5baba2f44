import { implemented, refused, type LedgerTable } from './ledger-types.js';

const EVENTS = 'test/integration/events-stream.test.ts';
const AUTH = 'test/integration/registry-auth.test.ts';

export const systemLedger: LedgerTable = {
  'POST /auth': implemented(AUTH, "'login'"),
  'POST /auth body username': implemented(AUTH, "'-u'"),
  'POST /auth body password': implemented(AUTH, '--password'),
  'POST /auth body email': implemented(AUTH, "'login'"),
  'POST /auth body serveraddress': implemented(AUTH, "'login'"),
  'GET /info': implemented('test/integration/api-versioned-behaviour.test.ts', '/info'),
  'GET /version': implemented('test/security/fuzz-lib.ts', '/version'),
  'GET /_ping': implemented('test/integration/security-api.test.ts', '_ping'),
  'HEAD /_ping': implemented('test/integration/security-api.test.ts', '_ping'),
  'GET /events': implemented(EVENTS, "'events'"),
  'GET /events ?since': implemented(EVENTS, '--since'),
  'GET /events ?until': implemented(EVENTS, '--until'),
  'GET /events ?filters': implemented(EVENTS, '--filter'),
  'GET /system/df': implemented('test/integration/volumes-df-prune.test.ts', "'df'"),
  'GET /system/df ?type': implemented('test/integration/build-cache-images.test.ts', 'type='),
  // The BuildKit session endpoint (dockerd answers it with a hijacked gRPC stream).
  'POST /session': refused('invalid_argument', 'BuildKit sessions are not supported by berth; use the classic builder (DOCKER_BUILDKIT=0)'),
};
