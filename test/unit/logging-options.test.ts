import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHumanSize } from '../../src/logging/human-size.js';
import { builtInRotationWarning, jsonFileLimits, localLimits, validateLogOptionKeys } from '../../src/logging/log-options.js';
import { goJsonString, jsonFileAttrs } from '../../src/logging/log-attrs.js';
import { expandLogTag } from '../../src/logging/log-tag.js';
import { parseJsonRecord } from '../../src/logging/log-record.js';
import { parseRfc3339Nano } from '../../src/lib/rfc3339-nano.js';

describe('go-units FromHumanSize as dockerd parses max-size', () => {
  test('decimal units, optional i/b suffix, fractions truncated', () => {
    assert.equal(fromHumanSize('1m'), 1_000_000);
    assert.equal(fromHumanSize('1.5k'), 1500);
    assert.equal(fromHumanSize('1kib'), 1000);
    assert.equal(fromHumanSize('10MB'), 10_000_000);
    assert.equal(fromHumanSize('1 g'), 1e9);
    assert.equal(fromHumanSize('200'), 200);
  });
  test('not sizes', () => {
    for (const bad of ['abc', '-1', '', '1x', '1.2.3', 'k']) assert.equal(fromHumanSize(bad), undefined, bad);
  });
});

describe('log option values (dockerd 20.10 texts, measured with dockerd)', () => {
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  test('json-file', () => {
    // Berth's built-in bound where nothing else bounds the log (issue 15: rotation on by default); dockerd's would be unbounded.
    assert.deepEqual(jsonFileLimits({}), { maxSize: 20 * 1024 * 1024, maxFile: 5, compress: false });
    assert.deepEqual(jsonFileLimits({ labels: 'a' }), { maxSize: 20 * 1024 * 1024, maxFile: 5, compress: false });
    assert.deepEqual(jsonFileLimits({ 'max-size': '1m' }), { maxSize: 1e6, maxFile: 1, compress: false });
    assert.deepEqual(jsonFileLimits({ 'max-file': '3' }), { maxSize: -1, maxFile: 3, compress: false });
    assert.equal(builtInRotationWarning('json-file', {})?.startsWith('WARNING: json-file logs are rotated at 20 MB × 5 files'), true);
    assert.equal(builtInRotationWarning('json-file', { 'max-size': '10m' }), undefined);
    assert.equal(builtInRotationWarning('local', {}), undefined);
    assert.deepEqual(jsonFileLimits({ 'max-size': '1m', 'max-file': '2', compress: 'true' }), { maxSize: 1e6, maxFile: 2, compress: true });
    assert.equal(err(() => jsonFileLimits({ 'max-size': 'abc' })), "failed to initialize logging driver: invalid size: 'abc'");
    assert.equal(err(() => jsonFileLimits({ 'max-size': '0' })), 'failed to initialize logging driver: max-size must be a positive number');
    assert.equal(err(() => jsonFileLimits({ 'max-file': '0' })), 'failed to initialize logging driver: max-file cannot be less than 1');
    assert.equal(err(() => jsonFileLimits({ 'max-file': 'x' })), 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(err(() => jsonFileLimits({ compress: 'yes' })), 'failed to initialize logging driver: strconv.ParseBool: parsing "yes": invalid syntax');
    assert.equal(
      err(() => jsonFileLimits({ 'max-size': '1m', compress: 'true' })),
      'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set',
    );
  });
  test('local: 20 MiB × 5 compressed by default', () => {
    assert.deepEqual(localLimits({}), { maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true });
    assert.deepEqual(localLimits({ 'max-size': '0', 'max-file': '0', compress: 'false' }), { maxSize: -1, maxFile: 1, compress: false });
    assert.equal(err(() => localLimits({ 'max-file': '1' })), 'failed to initialize logging driver: compression cannot be enabled when max file count is 1');
    assert.equal(err(() => localLimits({ 'max-size': 'abc' })), "failed to initialize logging driver: invalid value for max-size: abc: invalid size: 'abc'");
  });
  test('keys at create', () => {
    assert.equal(err(() => validateLogOptionKeys('json-file', { bogus: '1' })), "unknown log opt 'bogus' for json-file log driver");
    assert.equal(err(() => validateLogOptionKeys('local', { tag: 'x' })), "unknown log opt 'tag' for log driver local");
    assert.equal(err(() => validateLogOptionKeys('nope', {})), 'error looking up logging plugin nope: plugin "nope" not found');
    assert.equal(err(() => validateLogOptionKeys('json-file', { mode: 'x' })), 'logger: logging mode not supported: x');
    assert.equal(err(() => validateLogOptionKeys('none', { anything: '1' })), '');
    // dockerd daemon/logger ValidateLogOpts: errors.Wrap(err, "error parsing option max-buffer-size").
    assert.equal(err(() => validateLogOptionKeys('json-file', { mode: 'non-blocking', 'max-buffer-size': 'x' })), "error parsing option max-buffer-size: invalid size: 'x'");
    assert.equal(err(() => validateLogOptionKeys('json-file', { mode: 'non-blocking', 'max-buffer-size': '4m' })), '');
    assert.equal(err(() => validateLogOptionKeys('json-file', { 'max-size': '1m', labels: 'a', mode: 'blocking' })), '');
  });
});

describe('json-file attrs and tag', () => {
  const info = { id: 'a'.repeat(64), name: '/web', imageId: `sha256:${'b'.repeat(64)}`, imageName: 'busybox', labels: { a: '1', b: '<x>', zz: '9' }, env: ['E1=v1', 'X=y', 'NOEQ'], command: 'echo hi', created: '2026-12-07T23:31:14.374214004Z' };
  test('the attrs object as dockerd marshals it: keys sorted, HTML-escaped', () => {
    assert.equal(
      jsonFileAttrs({ labels: 'a,b,missing', env: 'E1,nope', 'labels-regex': '^z', 'env-regex': '^X', tag: '{{.Name}}/{{.ID}}' }, info),
      String.raw`{"E1":"v1","X":"y","a":"1","b":"\u003cx\u003e","tag":"web/aaaaaaaaaaaa","zz":"9"}`,
    );
    assert.equal(jsonFileAttrs({}, info), undefined);
    assert.equal(jsonFileAttrs({ 'labels-regex': '^z' }, info), '{"zz":"9"}');
    assert.equal(goJsonString('a&b\u2028'), String.raw`"a\u0026b\u2028"`);
  });
  test('tag templates and their errors', () => {
    assert.equal(expandLogTag('{{.FullID}} {{.ImageID}} {{.ImageFullID}} {{.ImageName}} {{.DaemonName}} plain', info), `${'a'.repeat(64)} ${'b'.repeat(12)} sha256:${'b'.repeat(64)} busybox docker plain`);
    assert.throws(() => expandLogTag('{{.Bad', info), /template: log-tag:1: unclosed action$/);
    assert.throws(() => expandLogTag('{{.Nope}}', info), /template: log-tag:1:2: executing "log-tag" at <.Nope>: can't evaluate field Nope in type \*logger.Info$/);
    assert.throws(() => jsonFileAttrs({ 'labels-regex': '[' }, info), /error parsing regexp: missing closing \]: `\[`$/);
  });
});

describe('json-file records', () => {
  test('parse what dockerd writes', () => {
    const r = parseJsonRecord(String.raw`{"log":"a\u003cb\u0009\ufffd\n","stream":"stderr","attrs":{"a":"1"},"time":"2026-12-07T23:03:37.63324777Z"}`);
    assert.ok(r);
    assert.equal(r.stream, 'stderr');
    assert.equal(r.data.toString(), 'a<b\t\ufffd\n');
    assert.equal(r.timeNs, parseRfc3339Nano('2026-12-07T23:03:37.632247770Z')! + 1_000_000n);
    assert.deepEqual(r.attrs, { a: '1' });
    assert.equal(parseJsonRecord('2026-11-29T08:14:25.032680022+00:00 stdout F hello'), undefined);
    assert.equal(parseJsonRecord('{"log":"x","stream":"other","time":"2026-12-07T23:03:37Z"}'), undefined);
  });
});
