import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FlagError, parseFlags, type FlagSpec } from '../../src/cli/argv/flag-parser.js';
import { readJsonLines } from '../../src/client/json-lines.js';
import { demuxStream, encodeFrame, FrameParser } from '../../src/client/stream-frames.js';
import { parseHost, selectHostAddress } from '../../src/client/engine-host.js';

async function collect(stream: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(chunks).toString();
}

void test('frame parser handles frames split across chunks', () => {
  const p = new FrameParser();
  const bytes = Buffer.concat([encodeFrame(1, 'hello\n'), encodeFrame(2, 'oops\n')]);
  const frames = [...p.push(bytes.subarray(0, 5)), ...p.push(bytes.subarray(5, 17)), ...p.push(bytes.subarray(17))];
  assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'hello\n'], [2, 'oops\n']]);
  assert.equal(p.remainder, 0);
});

void test('demuxStream routes stdout and stderr', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  async function* source(): AsyncGenerator<Buffer> {
    yield encodeFrame(1, 'a');
    yield encodeFrame(2, 'b');
    yield encodeFrame(1, 'c');
  }
  await demuxStream(source(), out, err);
  assert.equal(await collect(out), 'ac');
  assert.equal(await collect(err), 'b');
});

void test('json lines split across chunks', async () => {
  async function* source(): AsyncGenerator<string> {
    yield '{"status":"a"}\n{"sta';
    yield 'tus":"b"}\n';
  }
  const got: unknown[] = [];
  for await (const m of readJsonLines(source())) got.push(m);
  assert.deepEqual(got, [{ status: 'a' }, { status: 'b' }]);
});

void test('host selection and parsing', () => {
  assert.equal(selectHostAddress(undefined, {}), 'unix:///run/berth/berth.sock');
  assert.equal(selectHostAddress(undefined, { BERTH_HOST: 'tcp://h:1' }), 'tcp://h:1');
  assert.equal(selectHostAddress(undefined, { DOCKER_HOST: 'unix:///d.sock', BERTH_HOST: 'tcp://h:1' }), 'unix:///d.sock');
  assert.equal(selectHostAddress('tcp://x:2', { DOCKER_HOST: 'unix:///d.sock' }), 'tcp://x:2');
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', address: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
  const tcp = parseHost('tcp://127.0.0.1:2375');
  assert.equal(tcp.kind === 'tcp' && tcp.port, 2375);
});

const specs: FlagSpec[] = [
  { long: 'detach', short: 'd', kind: 'bool', description: '' },
  { long: 'interactive', short: 'i', kind: 'bool', description: '' },
  { long: 'tty', short: 't', kind: 'bool', description: '' },
  { long: 'env', short: 'e', kind: 'list', description: '' },
  { long: 'name', kind: 'string', description: '' },
  { long: 'last', short: 'n', kind: 'int', description: '' },
];

void test('flags: grouped shorthands, values, and stop at first positional', () => {
  const p = parseFlags(['-it', '-eA=1', '--env', 'B=2', '--name=x', 'busybox', 'ls', '-l'], specs, { interspersed: false });
  assert.equal(p.values.get('interactive'), true);
  assert.equal(p.values.get('tty'), true);
  assert.deepEqual(p.values.get('env'), ['A=1', 'B=2']);
  assert.equal(p.values.get('name'), 'x');
  assert.deepEqual(p.args, ['busybox', 'ls', '-l']);
});

void test('flags: pflag error texts', () => {
  assert.throws(() => parseFlags(['--x'], specs, { interspersed: true }), new FlagError('unknown flag: --x'));
  assert.throws(() => parseFlags(['-x'], specs, { interspersed: true }), new FlagError("unknown shorthand flag: 'x' in -x"));
  assert.throws(() => parseFlags(['--name'], specs, { interspersed: true }), new FlagError('flag needs an argument: --name'));
  assert.throws(() => parseFlags(['-n'], specs, { interspersed: true }), new FlagError("flag needs an argument: 'n' in -n"));
  assert.throws(
    () => parseFlags(['-n', 'abc'], specs, { interspersed: true }),
    new FlagError('invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
  );
});
