import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadSwagger, swaggerMissingMessage } from '../helpers/engine-swagger.js';
import { swaggerFieldKeys } from '../helpers/swagger-fields.js';
import { fieldLedger, ledgerEntryFor, ledgerGroups } from '../../src/daemon/api/ledger/field-ledger.js';
import { leafName } from '../../src/daemon/api/ledger/ledger-types.js';
import { ledgerOperationOf, queryRefusal, refuseUnsupportedFields } from '../../src/daemon/api/ledger/refusal-check.js';
import { EngineError } from '../../src/errors/engine-error.js';
import { repoRoot } from '../helpers/berthd-harness.js';

const v141 = loadSwagger('1.41');
const v150 = loadSwagger('1.50');
const skip = v141 && v150 ? false : swaggerMissingMessage;

describe('API field ledger', () => {
  test('every swagger operation, parameter and body field has a state', { skip }, () => {
    const keys = new Set([...swaggerFieldKeys(v141!), ...swaggerFieldKeys(v150!)]);
    const missing = [...keys].filter((k) => ledgerEntryFor(k) === undefined);
    assert.deepEqual(missing, [], `fields of the swagger without a ledger state:\n${missing.join('\n')}`);
  });

  test('the ledger names nothing the swagger lacks', { skip }, () => {
    const keys = new Set([...swaggerFieldKeys(v141!), ...swaggerFieldKeys(v150!)]);
    const stale = [...fieldLedger.keys()].filter((k) => !keys.has(k));
    assert.deepEqual(stale, []);
  });

  test('an implemented entry names a test that exists and mentions it', () => {
    const bad: string[] = [];
    const texts = new Map<string, string>();
    for (const [key, e] of fieldLedger) {
      if (e.state !== 'implemented') continue;
      const file = `${repoRoot}/${e.test}`;
      if (!texts.has(file)) texts.set(file, existsSync(file) ? readFileSync(file, 'utf8') : '');
      const evidence = e.evidence === '' ? leafName(key) : e.evidence;
      if (!(texts.get(file) ?? '').includes(evidence)) bad.push(`${key}: ${e.test} does not mention ${evidence}`);
    }
    assert.deepEqual(bad, []);
  });

  test('refused and ignored entries say why', () => {
    for (const [key, e] of fieldLedger) {
      if (e.state === 'refused') assert.ok(e.message.length > 10, key);
      if (e.state === 'ignored') assert.ok(e.dockerd.length > 10, key);
    }
  });

  test('counts per group (for the closing note)', (t) => {
    for (const [group, table] of Object.entries(ledgerGroups)) {
      const n = { implemented: 0, refused: 0, ignored: 0 };
      for (const e of Object.values(table)) n[e.state]++;
      t.diagnostic(`${group}: ${n.implemented} implemented, ${n.refused} refused, ${n.ignored} ignored as dockerd`);
    }
  });

  test('no key is in two groups', () => {
    const seen = new Map<string, string>();
    for (const [group, table] of Object.entries(ledgerGroups)) {
      for (const key of Object.keys(table)) {
        assert.equal(seen.get(key), undefined, `${key} in ${group} and ${seen.get(key) ?? ''}`);
        seen.set(key, group);
      }
    }
  });
});

describe('refusal check', () => {
  test('a refused body field set to a value is refused; its zero values pass', () => {
    assert.throws(
      () => refuseUnsupportedFields('POST /containers/create', { HostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } }),
      (err: unknown) => err instanceof EngineError && err.code === 'invalid_argument' && /could not select device driver/.test(err.message),
    );
    for (const zero of [undefined, null, []]) refuseUnsupportedFields('POST /containers/create', { HostConfig: { DeviceRequests: zero } });
    refuseUnsupportedFields('POST /containers/create', undefined);
  });

  test('refused fields inside arrays of objects are found', () => {
    const mount = (bindOptions: object) => ({ HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x' }, { Type: 'bind', Source: '/', Target: '/y', BindOptions: bindOptions }] } });
    refuseUnsupportedFields('POST /containers/create', mount({ ReadOnlyForceRecursive: false }));
    assert.throws(() => refuseUnsupportedFields('POST /containers/create', mount({ ReadOnlyForceRecursive: true })), /ReadOnlyForceRecursive/);
  });

  test('a refused field with a non-zero default is refused only when it differs from it', () => {
    refuseUnsupportedFields('POST /networks/create', { Name: 'n', EnableIPv4: true, Scope: 'local', ConfigFrom: { Network: '' } });
    assert.throws(() => refuseUnsupportedFields('POST /networks/create', { Name: 'n', EnableIPv4: false }), /IPv6-only/);
    assert.throws(() => refuseUnsupportedFields('POST /networks/create', { Name: 'n', Scope: 'swarm' }), /local/);
  });

  test('a refused query parameter is refused unless it has its default', () => {
    const op = ledgerOperationOf('POST', '/build');
    assert.equal(op?.key, 'POST /build');
    assert.equal(queryRefusal(op, new URLSearchParams('version=1&squash=0&memory=0&t=x'), true), undefined);
    assert.match(queryRefusal(op, new URLSearchParams('version=2'), true)?.message ?? '', /BuildKit/);
    assert.match(queryRefusal(op, new URLSearchParams('squash=1'), true)?.message ?? '', /experimental/);
  });

  test('operations match their most literal template', () => {
    assert.equal(ledgerOperationOf('GET', '/images/json')?.key, 'GET /images/json');
    assert.equal(ledgerOperationOf('GET', '/images/registry:5000/a/b/json')?.key, 'GET /images/{name}/json');
    assert.equal(ledgerOperationOf('GET', '/containers/abc/json')?.key, 'GET /containers/{id}/json');
    assert.equal(ledgerOperationOf('GET', '/containers/json')?.key, 'GET /containers/json');
  });

  test('a refused operation answers when no route serves it', () => {
    const op = ledgerOperationOf('GET', '/swarm');
    const err = queryRefusal(op, new URLSearchParams(), false);
    assert.equal(err?.code, 'unavailable');
    assert.match(err?.message ?? '', /not a swarm manager/);
    assert.equal(queryRefusal(op, new URLSearchParams(), true), undefined);
  });
});
