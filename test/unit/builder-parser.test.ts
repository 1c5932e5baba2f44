import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, DockerfileParseError } from '../../src/builder/dockerfile/parse-dockerfile.js';
import { planDockerfile } from '../../src/builder/dockerfile/instructions.js';
import { processWord, processWords } from '../../src/builder/dockerfile/shell-words.js';
import { DockerIgnore } from '../../src/builder/dockerfile/dockerignore.js';

const plan = (text: string) => planDockerfile(parseDockerfile(text));

describe('dockerfile parser', () => {
  test('directives, comments, continuations and line numbers', () => {
    const p = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\n\n# comment\nFROM busybox\nRUN echo a `\n  # inside\n  b\nCMD ["sh"]\n');
    assert.equal(p.directives['syntax'], 'docker/dockerfile:1');
    assert.equal(p.escape, '`');
    assert.deepEqual(
      p.nodes.map((n) => [n.keyword, n.rest, n.startLine, n.endLine]),
      [
        ['from', 'busybox', 5, 5],
        ['run', 'echo a   b', 6, 8],
        ['cmd', '["sh"]', 9, 9],
      ],
    );
  });

  test('a directive after an instruction is a comment', () => {
    const p = parseDockerfile('FROM busybox\n# escape=`\nRUN a \\\n b\n');
    assert.equal(p.escape, '\\');
    assert.equal(p.nodes[1]?.rest, 'a  b');
  });

  test('heredocs for RUN and COPY, quoted delimiters do not expand, <<- strips tabs', () => {
    const p = parseDockerfile('FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-"END" /x\n\thello $A\n\tEND\nRUN ls\n');
    const run = p.nodes[1];
    assert.deepEqual(run?.heredocs, [{ name: 'EOF', content: 'echo one\necho two\n', expand: true }]);
    assert.deepEqual(p.nodes[2]?.heredocs, [{ name: 'END', content: 'hello $A\n', expand: false }]);
    assert.equal(p.nodes[3]?.rest, 'ls');
    assert.equal(p.nodes[3]?.startLine, 9);
  });

  test('unknown instruction gives Docker\'s error with the line', () => {
    assert.throws(() => plan('FROM busybox\nFOO bar\n'), (err: unknown) => {
      assert.ok(err instanceof DockerfileParseError);
      assert.equal(err.message, 'dockerfile parse error on line 2: unknown instruction: FOO');
      return true;
    });
  });

  test('shell and JSON forms, flags, stages, meta ARGs', () => {
    const pl = plan('ARG BASE=busybox\nFROM ${BASE} AS Build\nRUN ["echo", "x"]\nRUN echo [not json\nCOPY --from=build --chown=1:2 --chmod=644 a b /dst/\nFROM scratch\nHEALTHCHECK --interval=5s --retries=3 CMD true\n');
    assert.equal(pl.metaArgs.length, 1);
    assert.equal(pl.stages.length, 2);
    assert.equal(pl.stages[0]?.name, 'build');
    const [run1, run2, copy] = pl.stages[0]?.commands ?? [];
    assert.deepEqual(run1?.kind === 'run' && run1.command, { json: true, args: ['echo', 'x'] });
    assert.deepEqual(run2?.kind === 'run' && run2.command, { json: false, text: 'echo [not json' });
    assert.ok(copy?.kind === 'copy');
    assert.deepEqual([copy.from, copy.chown, copy.chmod, copy.sources, copy.dest], ['build', '1:2', '644', ['a', 'b'], '/dst/']);
    const hc = pl.stages[1]?.commands[0];
    assert.ok(hc?.kind === 'healthcheck');
    assert.deepEqual([hc.test, hc.interval, hc.retries], [['CMD-SHELL', 'true'], 5e9, 3]);
  });

  test('ENV and LABEL forms', () => {
    const pl = plan('FROM scratch\nENV A=1 B="two words" C=three\\ x\nENV LEGACY value with spaces\nLABEL "k 1"=v\n');
    const [env1, env2, label] = pl.stages[0]?.commands ?? [];
    assert.ok(env1?.kind === 'env' && env2?.kind === 'env' && label?.kind === 'label');
    assert.deepEqual(env1.pairs.map((p) => [p.key, processWord(p.value, new Map())]), [['A', '1'], ['B', 'two words'], ['C', 'three x']]);
    assert.deepEqual(env2.pairs, [{ key: 'LEGACY', value: 'value with spaces' }]);
    assert.equal(processWord(label.pairs[0]?.key ?? '', new Map()), 'k 1');
  });

  test('bad input: no FROM, empty file, bad flag', () => {
    assert.throws(() => plan('RUN x\n'), /no build stage in current context/);
    assert.throws(() => plan('\n# only a comment\n'), /file with no instructions/);
    assert.throws(() => plan('FROM busybox\nCOPY --bogus=1 a b\n'), /line 2: unknown flag: bogus/);
    assert.throws(() => plan('FROM busybox\nSHELL /bin/bash\n'), /SHELL requires the arguments to be in JSON form/);
  });
});

describe('variable substitution', () => {
  const env = new Map([
    ['A', 'alpha'],
    ['E', ''],
  ]);
  test('$VAR, ${VAR}, defaults and alternates', () => {
    assert.equal(processWord('$A-${A}x', env), 'alpha-alphax');
    assert.equal(processWord('${B:-def} ${E:-d2} ${E-d3}', env), 'def d2 ');
    assert.equal(processWord('${A:+alt} ${E:+no} ${E+yes} ${B+no}', env), 'alt  yes ');
    assert.equal(processWord('${B:-${A}}', env), 'alpha');
  });
  test('quotes and escapes', () => {
    assert.equal(processWord(`'$A' "$A" \\$A "a\\"b"`, env), '$A alpha $A a"b');
    assert.deepEqual(processWords('a "b c" $A', env), ['a', 'b c', 'alpha']);
    assert.throws(() => processWord('${B:?must be set}', env), /B: must be set/);
  });
});

describe('.dockerignore', () => {
  test('Docker matching rules', () => {
    const ig = new DockerIgnore('# comment\n*.log\n!keep.log\nbuild/\n**/tmp\n/abs\ndocs/**/*.md\n');
    assert.equal(ig.ignores('a.log'), true);
    assert.equal(ig.ignores('keep.log'), false);
    assert.equal(ig.ignores('sub/a.log'), false, '* does not cross directories');
    assert.equal(ig.ignores('build/x/y'), true, 'everything below an ignored directory');
    assert.equal(ig.ignores('x/y/tmp'), true);
    assert.equal(ig.ignores('tmp'), true);
    assert.equal(ig.ignores('abs'), true);
    assert.equal(ig.ignores('docs/a/b/c.md'), true);
    assert.equal(ig.ignores('docs/c.md'), true);
    assert.equal(ig.ignores('docs/c.txt'), false);
    assert.equal(ig.ignores('src/main.ts'), false);
  });
});
