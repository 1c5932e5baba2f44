/**
 * The long API fuzz: random seed (BERTH_FUZZ_SEED to replay), bounded by
 * BERTH_FUZZ_SECONDS (default 60) and BERTH_FUZZ_CASES (default unlimited).
 */
import { test } from 'node:test';
import { randomInt } from 'node:crypto';
import { fuzzSession } from './fuzz-body.js';

const seed = process.env.BERTH_FUZZ_SEED ? Number(process.env.BERTH_FUZZ_SEED) : randomInt(2 ** 31);
const seconds = Number(process.env.BERTH_FUZZ_SECONDS ?? 60);
const cases = Number(process.env.BERTH_FUZZ_CASES ?? Number.MAX_SAFE_INTEGER);

test(`API fuzz, seed ${seed}, ${seconds} s: no 5xx, no hang, no crash, no leak`, async () => {
  process.stdout.write(`# api fuzz seed ${seed} (replay with BERTH_FUZZ_SEED=${seed})\n`);
  await fuzzSession('security-fuzz', { seed, maxCases: cases, maxMs: seconds * 1000 });
});
