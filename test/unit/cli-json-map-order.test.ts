import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goMapOrder } from '../../src/cli/format/go-json-map-order.js';
import { DEFAULT_FUNCS } from '../../src/cli/format/go-template.js';

test('json: map keys sorted as Go sorts them, struct fields keep their order', () => {
  const v = {
    Id: 'x',
    Config: { Labels: { 'z.b': '1', 'a.c': '2', B: '3' }, Env: ['B=1', 'A=2'], ExposedPorts: { '80/tcp': {}, '443/tcp': {} } },
    NetworkSettings: { Networks: { zed: { IPAddress: '' }, bridge: { IPAddress: '' } } },
    GraphDriver: { Name: 'overlay2', Data: { UpperDir: '/u', LowerDir: '/l' } },
  };
  const json = DEFAULT_FUNCS['json']?.(v);
  assert.equal(
    json,
    '{"Id":"x","Config":{"Labels":{"B":"3","a.c":"2","z.b":"1"},"Env":["B=1","A=2"],"ExposedPorts":{"443/tcp":{},"80/tcp":{}}},' +
      '"NetworkSettings":{"Networks":{"bridge":{"IPAddress":""},"zed":{"IPAddress":""}}},"GraphDriver":{"Name":"overlay2","Data":{"UpperDir":"/u","LowerDir":"/l"}}}',
  );
});

test('json: byte order, not locale order; empty objects and scalars unchanged', () => {
  assert.deepEqual(Object.keys(goMapOrder({ b: 1, B: 2, a: 3, _x: 4 }) as object), ['B', '_x', 'a', 'b']);
  assert.deepEqual(goMapOrder({}), {});
  assert.equal(goMapOrder('s'), 's');
  assert.equal(goMapOrder(null), null);
});
