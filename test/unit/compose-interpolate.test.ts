import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComposeError } from '../../src/compose/compose-error.js';
import { interpolateString, interpolateTree } from '../../src/compose/interpolate.js';

const env = { SET: 'value', EMPTY: '' };
const i = (s: string): string => interpolateString(s, env, 'test');

void test('plain and braced variables', () => {
  assert.equal(i('a $SET b ${SET}c'), 'a value b valuec');
  assert.equal(i('$UNSET|${UNSET}'), '|');
});

void test(':- and - defaults differ on empty values', () => {
  assert.equal(i('${EMPTY:-d}'), 'd');
  assert.equal(i('${EMPTY-d}'), '');
  assert.equal(i('${UNSET-d}'), 'd');
  assert.equal(i('${SET:-d}'), 'value');
  assert.equal(i('${UNSET:-${SET}}'), 'value');
});

void test(':+ and + give the alternative when set', () => {
  assert.equal(i('${SET:+alt}'), 'alt');
  assert.equal(i('${EMPTY:+alt}'), '');
  assert.equal(i('${EMPTY+alt}'), 'alt');
});

void test('$$ escapes a dollar', () => {
  assert.equal(i('echo $$HOME $${SET}'), 'echo $HOME ${SET}');
});

void test(':? and ? fail with the message when the variable is missing', () => {
  assert.throws(() => i('${UNSET:?must be set}'), (e: unknown) => e instanceof ComposeError && /required variable UNSET is missing a value: must be set/.test(e.message));
  assert.throws(() => i('${EMPTY:?x}'), ComposeError);
  assert.equal(i('${EMPTY?x}'), '');
});

void test('an unclosed or malformed braced expression is an error', () => {
  assert.throws(() => i('${SET'), /invalid interpolation format/);
  assert.throws(() => i('${1X}'), /invalid interpolation format/);
});

void test('interpolateTree touches values, not keys, and keeps non-strings', () => {
  assert.deepEqual(interpolateTree({ '${SET}': ['$SET', 3, true, null] }, env), { '${SET}': ['value', 3, true, null] });
});
