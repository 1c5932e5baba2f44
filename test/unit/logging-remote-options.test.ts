import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyslogOptions } from '../../src/logging/syslog-options.js';
import { parseGelfOptions } from '../../src/logging/gelf-options.js';
import { parseFluentdOptions } from '../../src/logging/fluentd-options.js';
import { ramInBytes } from '../../src/logging/human-size.js';

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

describe('remote log driver options (texts from dockerd 20.10, measured)', () => {
  test('syslog addresses, facilities, formats', () => {
    assert.deepEqual(parseSyslogOptions({ 'syslog-address': 'udp://127.0.0.1' }), { address: 'udp:127.0.0.1:514', facility: 3, format: '' });
    assert.equal(parseSyslogOptions({ 'syslog-address': 'tcp://[::1]:601', 'syslog-facility': 'local3' }).address, 'tcp:[::1]:601');
    assert.equal(parseSyslogOptions({ 'syslog-facility': 'local3' }).facility, 19);
    assert.deepEqual(parseSyslogOptions({ 'syslog-address': 'tcp+tls://h:6514', 'syslog-tls-skip-verify': 'true' }).tls, { skipVerify: true });
    assert.equal(parseSyslogOptions({}).address, '');
    assert.equal(err(() => parseSyslogOptions({ 'syslog-address': 'http://x' })), 'syslog-address should be in form proto://address, got http://x');
    assert.equal(err(() => parseSyslogOptions({ 'syslog-facility': 'bogus' })), 'invalid syslog facility');
    assert.equal(err(() => parseSyslogOptions({ 'syslog-format': 'bogus' })), 'Invalid syslog format');
    assert.equal(err(() => parseSyslogOptions({ 'syslog-address': 'unix:///nonexistent.sock' })), 'stat /nonexistent.sock: no such file or directory');
    assert.equal(err(() => parseSyslogOptions({ 'syslog-address': 'udp://[::1]:514,x' })), 'parse "udp://[::1]:514,x": invalid port ":514,x" after host');
  });
  test('gelf', () => {
    assert.deepEqual(parseGelfOptions({ 'gelf-address': 'udp://127.0.0.1:12201' }), { address: 'udp:127.0.0.1:12201', compression: 'gzip', level: 1, maxReconnect: 3, reconnectDelay: 1 });
    assert.equal(parseGelfOptions({ 'gelf-address': 'tcp://h:12201' }).compression, 'none');
    assert.equal(err(() => parseGelfOptions({})), 'gelf-address is a required parameter');
    assert.equal(err(() => parseGelfOptions({ 'gelf-address': 'udp://127.0.0.1' })), 'gelf: please provide gelf-address as proto://host:port');
    assert.equal(err(() => parseGelfOptions({ 'gelf-address': 'udp://h:1', bogus: '1' })), 'unknown log opt "bogus" for gelf log driver');
    assert.equal(err(() => parseGelfOptions({ 'gelf-address': 'tcp://h:1', 'gelf-compression-type': 'gzip' })), 'compression is only supported on UDP');
    assert.equal(err(() => parseGelfOptions({ 'gelf-address': 'udp://h:1', 'gelf-tcp-reconnect-delay': '1' })), '"gelf-tcp-reconnect-delay" is only valid for TCP');
  });
  test('fluentd', () => {
    const f = parseFluentdOptions({});
    assert.equal(f.address, 'tcp:127.0.0.1:24224');
    assert.equal(f.bufferLimit, 1024 * 1024);
    assert.equal(parseFluentdOptions({ 'fluentd-address': 'tcp://127.0.0.1' }).address, 'tcp:127.0.0.1:24224');
    assert.equal(parseFluentdOptions({ 'fluentd-address': 'unix:///run/f.sock' }).address, 'unix:/run/f.sock');
    assert.equal(parseFluentdOptions({ 'fluentd-retry-wait': '1m30s' }).retryWaitMs, 90_000);
    assert.equal(parseFluentdOptions({ 'fluentd-buffer-limit': '8m' }).bufferLimit, 8 * 1024 * 1024);
    assert.equal(parseFluentdOptions({ 'fluentd-async-connect': 'true' }).async, true);
    assert.equal(err(() => parseFluentdOptions({ 'fluentd-address': 'http://x:1' })), 'invalid fluentd-address http://x:1: address http://x:1: too many colons in address');
    assert.equal(err(() => parseFluentdOptions({ 'fluentd-retry-wait': 'x' })), 'time: invalid duration "x"');
    assert.equal(err(() => parseFluentdOptions({ 'fluentd-max-retries': 'x' })), 'strconv.ParseUint: parsing "x": invalid syntax');
    assert.equal(ramInBytes('1k'), 1024);
    assert.equal(ramInBytes('x'), undefined);
  });
});
