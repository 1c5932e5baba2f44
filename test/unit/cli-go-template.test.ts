import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoTemplate, TemplateError } from '../../src/cli/format/go-template.js';

const run = (src: string, data: unknown): string => GoTemplate.parse(src).execute(data);

void test('fields and nested fields', () => {
  assert.equal(run('{{.Name}} is {{.State.Status}}', { Name: 'web', State: { Status: 'running' } }), 'web is running');
});

void test('missing map key prints <no value>', () => {
  assert.equal(run('{{.Nope}}', {}), '<no value>');
});

void test('json of a value and of dot', () => {
  assert.equal(run('{{json .Config}}', { Config: { Env: ['A=1'], Tty: false } }), '{"Env":["A=1"],"Tty":false}');
  assert.equal(run('{{json .}}', { a: '<b>' }), '{"a":"<b>"}');
});

void test('index on labels, including a missing key', () => {
  const data = { Config: { Labels: { 'com.example': 'x' } } };
  assert.equal(run('{{index .Config.Labels "com.example"}}', data), 'x');
  assert.equal(run('[{{index .Config.Labels "nope"}}]', data), '[]');
});

void test('range with else, variables and $', () => {
  assert.equal(run('{{range .Items}}<{{.}}>{{end}}', { Items: ['a', 'b'] }), '<a><b>');
  assert.equal(run('{{range .Items}}x{{else}}empty{{end}}', { Items: [] }), 'empty');
  assert.equal(run('{{range $i, $v := .Items}}{{$i}}={{$v}} {{end}}', { Items: ['a', 'b'] }), '0=a 1=b ');
  assert.equal(run('{{range $k, $v := .M}}{{$k}}:{{$v}};{{end}}', { M: { b: 2, a: 1 } }), 'a:1;b:2;');
  assert.equal(run('{{range .Items}}{{$.Name}}{{end}}', { Name: 'n', Items: [1, 2] }), 'nn');
});

void test('if / else if / else and comparisons', () => {
  const t = '{{if eq .S "running"}}up{{else if eq .S "exited"}}down{{else}}other{{end}}';
  assert.equal(run(t, { S: 'running' }), 'up');
  assert.equal(run(t, { S: 'exited' }), 'down');
  assert.equal(run(t, { S: 'created' }), 'other');
  assert.equal(run('{{if and .A (not .B)}}yes{{end}}', { A: true, B: false }), 'yes');
  assert.equal(run('{{if gt .N 3}}big{{end}}', { N: 5 }), 'big');
});

void test('with changes dot', () => {
  assert.equal(run('{{with .State}}{{.Pid}}{{end}}', { State: { Pid: 42 } }), '42');
  assert.equal(run('{{with .Nope}}x{{else}}none{{end}}', {}), 'none');
});

void test('docker functions: join, lower, upper, title, split, pad, truncate, println', () => {
  assert.equal(run('{{join .Names ","}}', { Names: ['a', 'b'] }), 'a,b');
  assert.equal(run('{{lower .S}} {{upper .S}}', { S: 'MiX' }), 'mix MIX');
  assert.equal(run('{{title .S}}', { S: 'hello world' }), 'Hello World');
  assert.equal(run('{{index (split .S ":") 1}}', { S: 'a:b' }), 'b');
  assert.equal(run('[{{pad .S 1 2}}]', { S: 'x' }), '[ x  ]');
  assert.equal(run('{{truncate .S 3}}', { S: 'abcdef' }), 'abc');
  assert.equal(run('{{println .A .B}}', { A: 'x', B: 1 }), 'x 1\n');
});

void test('pipelines pass the value as the last argument', () => {
  assert.equal(run('{{.S | printf "%s!"}}', { S: 'hi' }), 'hi!');
  assert.equal(run('{{.S | upper | lower}}', { S: 'Hi' }), 'hi');
  assert.equal(run('{{printf "%-5s|%3d" .A .B}}', { A: 'ab', B: 7 }), 'ab   |  7');
});

void test('trim markers and comments', () => {
  assert.equal(run('a  {{- .X -}}  b{{/* note */}}', { X: 1 }), 'a1b');
});

void test('values print like Go fmt', () => {
  assert.equal(run('{{.M}}', { M: { b: 'x', a: 1 } }), 'map[a:1 b:x]');
  assert.equal(run('{{.L}}', { L: ['a', 'b'] }), '[a b]');
  assert.equal(run('{{.B}} {{.N}}', { B: true, N: null }), 'true <nil>');
});

void test('methods with arguments on row objects', () => {
  class Row {
    get ID(): string {
      return 'abc';
    }
    Label(k: unknown): string {
      return k === 'x' ? 'y' : '';
    }
  }
  assert.equal(run('{{.ID}} {{.Label "x"}}', new Row()), 'abc y');
  assert.throws(() => run('{{.Nope}}', new Row()), /can't evaluate field Nope in type \*Row/);
});

void test('parse errors name the problem', () => {
  assert.throws(() => GoTemplate.parse('{{.Foo'), (err: unknown) => err instanceof TemplateError && /unclosed action/.test(err.message));
  assert.throws(() => GoTemplate.parse('{{if .A}}x'), /unexpected EOF/);
  assert.throws(() => GoTemplate.parse('{{nope .A}}').execute({}), /function "nope" not defined/);
});
