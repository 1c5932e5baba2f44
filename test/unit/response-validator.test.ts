import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { ResponseValidator } from '../helpers/response-validator.js';
import { startValidatingProxy } from '../helpers/validating-proxy.js';
import { swaggerMissingMessage } from '../helpers/engine-swagger.js';

const ID = 'a'.repeat(64);
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const check = (v: ResponseValidator, method: string, url: string, status: number, body: unknown): void =>
  v.check({ method, url, status, contentType: 'application/json', body: json(body) });

test('a list or inspect body of the wrong shape is a violation, for the version the request used', (t) => {
  const v = ResponseValidator.load();
  if (!v) return t.skip(swaggerMissingMessage);
  check(v, 'GET', '/v1.41/containers/json?all=1', 200, [{ Id: ID, Names: ['/a'], Labels: null, Ports: [] }]);
  assert.equal(v.violations.length, 0, v.report());
  check(v, 'GET', '/v1.41/containers/json', 200, [{ Id: 5 }]);
  check(v, 'GET', '/containers/abc/json', 200, { Id: ID, State: { Running: 'yes' } });
  assert.equal(v.violations.length, 2);
  assert.equal(v.violations[0]?.swagger, '1.41');
  assert.equal(v.violations[1]?.swagger, '1.50');
  assert.match(v.violations[1]?.errors ?? '', /Running/);
});

test('error bodies must be {"message": string}; enums admit "" as dockerd sends; paths outside the swagger are not checked', (t) => {
  const v = ResponseValidator.load();
  if (!v) return t.skip(swaggerMissingMessage);
  check(v, 'DELETE', '/v1.50/containers/nope', 404, { message: 'No such container: nope' });
  check(v, 'GET', '/v1.50/containers/x/json', 200, { Id: ID, State: { Status: 'running' }, HostConfig: { RestartPolicy: { Name: '' } } });
  check(v, 'GET', '/berth/anything', 200, { whatever: 1 });
  assert.equal(v.violations.length, 0, v.report());
  check(v, 'DELETE', '/v1.50/containers/nope', 404, { error: 'No such container: nope' });
  check(v, 'GET', '/v1.50/containers/x/json', 200, { Id: ID, State: { Status: 'sleeping' } });
  assert.equal(v.violations.length, 2, v.report());
});

test('image names with slashes find their route', (t) => {
  const v = ResponseValidator.load();
  if (!v) return t.skip(swaggerMissingMessage);
  assert.equal(v.route('GET', '/v1.50/images/localhost:5000/a/b:1/json')?.template, '/images/{name}/json');
  assert.equal(v.route('GET', '/v1.41/containers/json')?.template, '/containers/json');
  assert.equal(v.route('DELETE', '/images/localhost:5000/a/b')?.template, '/images/{name}');
});

test('the relay passes bytes through unchanged and records a bad response, events line by line', async (t) => {
  const v = ResponseValidator.load();
  if (!v) return t.skip(swaggerMissingMessage);
  const dir = await mkdtemp(`${tmpdir()}/validator-`);
  const server = createServer((req, res) => {
    if (req.url?.includes('/events')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{}},"time":1}\n');
      res.end('{"Type":5}\n');
      return;
    }
    const body = req.url === '/v1.50/version' ? '{"Version":7}' : '{"message":"ok"}';
    res.writeHead(req.url === '/v1.50/version' ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(`${dir}/d.sock`, r));
  const proxy = await startValidatingProxy(`${dir}/p.sock`, `${dir}/d.sock`, v);
  t.after(async () => {
    await proxy.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const get = (path: string, method = 'GET'): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: `${dir}/p.sock`, path, method }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end();
    });
  assert.deepEqual(await get('/v1.50/version'), { status: 200, body: '{"Version":7}' });
  assert.equal((await get('/v1.50/containers/x/json', 'HEAD')).status, 404);
  assert.equal((await get('/v1.50/containers/x/json')).status, 404);
  const events = await get('/v1.50/events');
  assert.equal(events.body.split('\n').length, 3, JSON.stringify(events));
  assert.deepEqual(
    v.violations.map((x) => `${x.method} ${x.url}`),
    ['GET /v1.50/version', 'GET /v1.50/events'],
    v.report(),
  );
});
