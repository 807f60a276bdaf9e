import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, tinySpec, writeSpec } from '../helpers/cli.js';

/**
 * Every refusal: exit code 2, a message naming the problem, and nothing written (the --out
 * directory is not created, or left exactly as it was).
 */
describe('bad input is refused with exit 2 and nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('shatter-bad-');
  });

  const specCases: [string, unknown, RegExp][] = [
    ['malformed JSON', '{"name": "x", "fixed": {', /not valid JSON/],
    ['an unknown top-level key', { ...tinySpec(), sweep: 1 }, /sweep: unknown key/],
    ['an unknown field', tinySpec({ fixed: { ...(tinySpec().fixed as object), learning_rate: 0.1 } }), /fixed\.learning_rate: unknown field/],
    ['d = 0', tinySpec({ fixed: { ...(tinySpec().fixed as object), d: 0 } }), /fixed\.d: got 0; allowed: an integer >= 1/],
    ['n = 1', tinySpec({ fixed: { ...(tinySpec().fixed as object), n: 1 } }), /fixed\.n: got 1; allowed: an integer >= 2/],
    ['width as a string', tinySpec({ fixed: { ...(tinySpec().fixed as object), width: 'wide' } }), /fixed\.width: got "wide"/],
    ['epochs fractional', tinySpec({ fixed: { ...(tinySpec().fixed as object), epochs: 10.5 } }), /fixed\.epochs: got 10\.5/],
    ['negative weight decay in a zip group', tinySpec({ grid: { optim: [{ eta: 0.1, weight_decay: -1 }] } }), /grid\.optim\[0\]\.weight_decay: got -1; allowed: a number >= 0/],
    ['clip = -5', tinySpec({ fixed: { ...(tinySpec().fixed as object), clip: -5 } }), /fixed\.clip: got -5/],
    ['an unknown loss', tinySpec({ fixed: { ...(tinySpec().fixed as object), loss: 'l1' } }), /fixed\.loss: got "l1"; allowed: "half_mse" or "mse"/],
    ['an unknown init', tinySpec({ fixed: { ...(tinySpec().fixed as object), init: 'xavier' } }), /fixed\.init: got "xavier"/],
    ['an unknown target', tinySpec({ fixed: { ...(tinySpec().fixed as object), target: 'sine' } }), /fixed\.target: got "sine"/],
    ['sigma = -1', tinySpec({ fixed: { ...(tinySpec().fixed as object), sigma: -1 } }), /fixed\.sigma: got -1/],
    ['lambda_max_every = -1', tinySpec({ fixed: { ...(tinySpec().fixed as object), lambda_max_every: -1 } }), /fixed\.lambda_max_every: got -1/],
    ['lanczos_max_iter = 1', tinySpec({ fixed: { ...(tinySpec().fixed as object), lanczos_max_iter: 1 } }), /fixed\.lanczos_max_iter: got 1/],
    ['an empty grid axis', tinySpec({ grid: { eta: [] } }), /grid\.eta: got \[\]; allowed: a non-empty array/],
    ['a field in fixed and grid', tinySpec({ grid: { d: [1, 2], optim: (tinySpec().grid as { optim: unknown }).optim } }), /grid\.d: field "d" is already set in fixed/],
    ['seeds = 0', tinySpec({ seeds: 0 }), /seeds: got 0/],
    ['seeds with a negative', tinySpec({ seeds: { data: [-1], init: [0] } }), /seeds\.data\[0\]: got -1/],
    ['missing required fields', { name: 'x', fixed: { d: 2 } }, /fixed\.n: missing/],
    ['save.data not boolean', tinySpec({ save: { data: 1 } }), /save\.data: got 1; allowed: true or false/],
    ['a task above the memory limit', tinySpec({ fixed: { ...(tinySpec().fixed as object), n: 200000, width: 50000 } }), /at most 4 GiB per task/],
    ['a grid above the task limit without --yes', tinySpec({ seeds: 10001 }), /expands to 20002 tasks, more than 20000; pass --yes/],
  ];

  specCases.forEach(([title, spec, pattern], i) => {
    it(`spec with ${title}`, () => {
      const specPath = writeSpec(dir, `bad-${i}.json`, spec);
      const out = join(dir, `out-${i}`);
      const result = runCli(['run', specPath, '--out', out, '--quiet']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    });
  });

  const flagCases: [string, string[], RegExp][] = [
    ['--workers 0', ['--workers', '0'], /--workers: got "0"; allowed: a whole number >= 1/],
    ['--workers abc', ['--workers', 'abc'], /--workers: got "abc"/],
    ['--workers 1.5', ['--workers', '1.5'], /--workers: got "1.5"/],
    ['--shard 0/2', ['--shard', '0/2'], /--shard: got "0\/2"/],
    ['--shard 3/2', ['--shard', '3/2'], /--shard: got "3\/2"/],
    ['--shard 1/0', ['--shard', '1/0'], /--shard: got "1\/0"/],
    ['--shard abc', ['--shard', 'abc'], /--shard: got "abc"/],
    ['--shard 1.5/2', ['--shard', '1.5/2'], /--shard: got "1.5\/2"/],
    ['--task-timeout -1', ['--task-timeout', '-1'], /--task-timeout: got "-1"/],
    ['--retries x', ['--retries', 'x'], /--retries: got "x"/],
    ['an unknown flag', ['--wrokers', '2'], /Unknown argument/i],
  ];
  flagCases.forEach(([title, flags, pattern], i) => {
    it(`flag ${title}`, () => {
      const specPath = writeSpec(dir, `good-${i}.json`, tinySpec());
      const out = join(dir, `flag-out-${i}`);
      const result = runCli(['run', specPath, '--out', out, '--quiet', ...flags]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('a missing spec file', () => {
    const result = runCli(['run', join(dir, 'nope.json'), '--out', join(dir, 'x')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.json: cannot be read \(ENOENT\)/);
  });

  it('--version prints the tool version and --help every command, with exit 0', () => {
    const version = runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ['run', 'merge', 'inspect', 'report', 'slurm']) {
      const help = runCli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`shatter ${command}`);
    }
  });

  it('no command, and an unknown command', () => {
    expect(runCli([]).code).toBe(2);
    const unknown = runCli(['fly']);
    expect(unknown.code).toBe(2);
  });

  it('an output directory that cannot be written', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const specPath = writeSpec(dir, 'unwritable.json', tinySpec());
    const result = runCli(['run', specPath, '--out', join(blocker, 'out'), '--quiet']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write there \(ENOTDIR\)/);
  });

  it('a non-empty directory that is not an output directory', () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const specPath = writeSpec(dir, 'foreign.json', tinySpec());
    const result = runCli(['run', specPath, '--out', foreign, '--quiet', '--resume']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds no manifest\.json/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });

  it('a read-only directory (when not root)', () => {
    if (process.getuid?.() === 0) return; // root writes anywhere; the ENOTDIR case above covers it
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    const result = runCli(['run', writeSpec(dir, 'ro.json', tinySpec()), '--out', join(readOnly, 'out'), '--quiet']);
    expect(result.code).toBe(2);
  });
});
