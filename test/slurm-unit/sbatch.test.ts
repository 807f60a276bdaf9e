/**
 * The batch scripts `shatter slurm` writes, checked by running them: the generated array.sbatch is
 * executed by bash for every element with SLURM_ARRAY_TASK_ID set, calling a recording stand-in for
 * node, so what is checked is what the script really passes to `shatter run` (every argument,
 * spaces and quotes included), not the script's text. Submission is checked against recording
 * stand-ins for sbatch and squeue on PATH; the real cluster run is test/slurm (npm run test:slurm).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  arraySpec,
  checkCommand,
  elementCount,
  elementOfShard,
  readPlanFile,
  resubmitCommand,
  shardsOfElement,
  shellQuote,
  slurmCommand,
  type Output,
} from '../../src/slurm/index.js';
import { expandSpec, validateSpec } from '../../src/spec/index.js';
import { runCli, tempDir, tinySpec, writeSpec } from '../helpers/cli.js';

/** A spec of `seeds` tasks (tinySpec has 2 zip members x seeds). */
function specWithTasks(tasks: number): Record<string, unknown> {
  return tinySpec({ grid: { optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }] }, seeds: tasks });
}

function collector(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

/** An executable that appends its argv (fields separated by \x1f, calls by \x1e) to `record`. */
function recorder(path: string, record: string, stdout = ''): void {
  writeFileSync(path, `#!/bin/bash\nprintf '%s\\x1f' "$@" >> ${shellQuote(record)}\nprintf '\\x1e' >> ${shellQuote(record)}\n${stdout}`);
  chmodSync(path, 0o755);
}

function recordedCalls(record: string): string[][] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8')
    .split('\x1e')
    .filter((call) => call !== '')
    .map((call) => call.split('\x1f').slice(0, -1));
}

/** Runs array.sbatch once per element (one bash process per element, as Slurm would). */
function runElements(script: string, elements: number[], env: Record<string, string> = {}): void {
  for (const element of elements) {
    const result = spawnSync('bash', [script], {
      env: { ...process.env, SLURM_ARRAY_TASK_ID: String(element), SLURM_CPUS_PER_TASK: '3', SLURM_JOB_ID: '77', ...env },
      encoding: 'utf8',
    });
    expect(result.status, `element ${element}: ${result.stderr}`).toBe(0);
  }
}

describe('element-to-shard mapping', () => {
  it('runs every shard in exactly one element, in contiguous blocks differing by at most one shard', () => {
    for (const [shards, maxArray] of [[1, 1000], [7, 1000], [1000, 1000], [1001, 1000], [2500, 1000], [10, 3], [97, 10], [5, 1]]) {
      const elements = elementCount(shards, maxArray);
      expect(elements).toBe(Math.min(shards, maxArray));
      const owner = new Int32Array(shards + 1);
      const sizes: number[] = [];
      let next = 1;
      for (let e = 1; e <= elements; e++) {
        const { first, last } = shardsOfElement(e, shards, elements);
        expect(first, `N=${shards} M=${maxArray} element ${e}`).toBe(next);
        sizes.push(last - first + 1);
        for (let s = first; s <= last; s++) {
          owner[s]++;
          expect(elementOfShard(s, shards, elements)).toBe(e);
        }
        next = last + 1;
      }
      expect(next - 1).toBe(shards);
      expect([...owner.slice(1)].every((count) => count === 1)).toBe(true);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('writes --array lists with ranges and the %P cap', () => {
    expect(arraySpec([1, 2, 3, 4], null)).toBe('1-4');
    expect(arraySpec([7, 1, 3, 2, 9, 10], 2)).toBe('1-3,7,9-10%2');
    expect(arraySpec([5], null)).toBe('5');
    expect(() => arraySpec([], null)).toThrow(/at least one element/);
  });
});

describe('array.sbatch and merge.sbatch', () => {
  let root: string;
  let fakeNode: string;
  let record: string;
  let specPath: string;
  beforeAll(() => {
    // Spaces, a single quote and a dollar sign: each would split or expand if a path went unquoted.
    root = join(tempDir('shatter-slurm-unit-'), "my runs/it's $HOME");
    mkdirSync(root, { recursive: true });
    specPath = writeSpec(root, 'spec file.json', specWithTasks(30));
    fakeNode = join(root, 'fake node');
    record = join(root, 'calls');
    recorder(fakeNode, record);
  });

  function setUp(name: string, flags: Record<string, unknown>): { dir: string; output: ReturnType<typeof collector> } {
    const dir = join(root, name);
    const output = collector();
    const code = slurmCommand({ specPath, out: dir, submit: false, nodePath: fakeNode, shatterPath: join(root, 'the cli/shatter.js'), ...flags }, output);
    expect(code).toBe(0);
    rmSync(record, { force: true });
    return { dir, output };
  }

  it('passes every path as one argument, spaces and quotes intact, and runs each shard once with resume and the element CPUs', () => {
    const { dir } = setUp('out dir', { shards: 4 });
    const script = join(dir, 'slurm', 'array.sbatch');
    runElements(script, [1, 2, 3, 4]);
    const calls = recordedCalls(record);
    expect(calls).toHaveLength(4);
    calls.forEach((call, i) => {
      expect(call).toEqual([
        join(root, 'the cli/shatter.js'),
        'run',
        join(dir, 'slurm', 'spec.json'),
        '--shard',
        `${i + 1}/4`,
        '--out',
        join(dir, 'shards', String(i + 1)),
        '--resume',
        '--workers',
        '3',
      ]);
    });
    // The spec is a copy inside DIR, so later edits of the original do not change the sweep.
    expect(readFileSync(join(dir, 'slurm', 'spec.json'), 'utf8')).toBe(readFileSync(specPath, 'utf8'));
    const text = readFileSync(script, 'utf8');
    expect(text).toContain(`#SBATCH --output="${join(dir, 'slurm', 'logs')}/array-%A_%a.out"`);
    expect(existsSync(join(dir, 'slurm', 'logs'))).toBe(true);
  });

  it('adds --retry-failed when the resubmission asks for it', () => {
    const { dir } = setUp('retry', { shards: 2 });
    runElements(join(dir, 'slurm', 'array.sbatch'), [2], { SHATTER_RETRY_FAILED: '1' });
    expect(recordedCalls(record)[0].slice(-3)).toEqual(['--workers', '3', '--retry-failed']);
  });

  it('writes the resource flags given, and none of those not given', () => {
    const { dir } = setUp('resources', { shards: 6, cpusPerTask: '4', time: '1-02:30:00', partition: 'gpu,cpu', concurrent: '2' });
    for (const file of ['array.sbatch', 'merge.sbatch']) {
      const text = readFileSync(join(dir, 'slurm', file), 'utf8');
      expect(text).toContain('#SBATCH --time=1-02:30:00');
      expect(text).toContain('#SBATCH --partition=gpu,cpu');
      expect(text).toMatch(/^#!\/bin\/bash\n/);
    }
    const array = readFileSync(join(dir, 'slurm', 'array.sbatch'), 'utf8');
    expect(array).toContain('#SBATCH --cpus-per-task=4');
    expect(array).toContain('#SBATCH --array=1-6%2');
    // The merge is one process: one CPU, whatever the elements get.
    expect(readFileSync(join(dir, 'slurm', 'merge.sbatch'), 'utf8')).toContain('#SBATCH --cpus-per-task=1');

    const { dir: plain } = setUp('plain', { shards: 3 });
    const text = readFileSync(join(plain, 'slurm', 'array.sbatch'), 'utf8');
    expect(text).toContain('#SBATCH --array=1-3\n');
    expect(text).toContain('#SBATCH --cpus-per-task=1');
    expect(text).not.toContain('--time');
    expect(text).not.toContain('--partition');
  });

  it('groups shards above --max-array: each element runs its block in turn, every shard exactly once', () => {
    const { dir, output } = setUp('grouped', { shards: 30, maxArray: 7 });
    const script = join(dir, 'slurm', 'array.sbatch');
    expect(readFileSync(script, 'utf8')).toContain('#SBATCH --array=1-7\n');
    expect(output.errors.join('\n')).toMatch(/30 shards, an array of 7 elements, 4-5 shards per element/);
    const seen = new Map<number, number>();
    for (let element = 1; element <= 7; element++) {
      rmSync(record, { force: true });
      runElements(script, [element]);
      const shards = recordedCalls(record).map((call) => Number(call[4].split('/')[0]));
      const { first, last } = shardsOfElement(element, 30, 7);
      expect(shards).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
      for (const shard of shards) seen.set(shard, (seen.get(shard) ?? 0) + 1);
      recordedCalls(record).forEach((call) => expect(call[4]).toMatch(/^\d+\/30$/));
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
  });

  it('stops an element at a signal exit (130/143) but goes on after a failed shard, exiting with its code', () => {
    const { dir } = setUp('codes', { shards: 30, maxArray: 10 });
    const script = join(dir, 'slurm', 'array.sbatch');
    // A node stand-in that fails (exit 1 or 143) on the element's first shard.
    for (const [code, calls] of [[1, 3], [143, 1]]) {
      rmSync(record, { force: true });
      recorder(fakeNode, record, `case "$5" in 1/30) exit ${code};; esac\n`);
      const result = spawnSync('bash', [script], { env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_CPUS_PER_TASK: '1' }, encoding: 'utf8' });
      expect(result.status).toBe(code);
      expect(recordedCalls(record)).toHaveLength(calls);
    }
    recorder(fakeNode, record);
  });

  it('refuses to run outside Slurm (no SLURM_ARRAY_TASK_ID)', () => {
    const { dir } = setUp('outside', { shards: 2 });
    const env = { ...process.env };
    delete env.SLURM_ARRAY_TASK_ID;
    const result = spawnSync('bash', [join(dir, 'slurm', 'array.sbatch')], { env, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/not a Slurm array element/);
    expect(recordedCalls(record)).toHaveLength(0);
  });

  it('merge.sbatch checks the shards, then merges them all into DIR; it stops at the check when shards are unfinished', () => {
    const { dir } = setUp('merge', { shards: 3 });
    const script = join(dir, 'slurm', 'merge.sbatch');
    const cli = join(root, 'the cli/shatter.js');
    for (let s = 1; s <= 3; s++) mkdirSync(join(dir, 'shards', String(s)), { recursive: true });
    let result = spawnSync('bash', [script], { env: process.env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(recordedCalls(record)).toEqual([
      [cli, 'slurm', dir, '--check'],
      [cli, 'merge', ...[1, 2, 3].map((s) => join(dir, 'shards', String(s))), '--out', dir],
    ]);
    rmSync(record, { force: true });
    recorder(fakeNode, record, 'if [ "$2" = slurm ]; then exit 1; fi\n');
    result = spawnSync('bash', [script], { env: process.env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(recordedCalls(record)).toHaveLength(1);
    recorder(fakeNode, record);
  });

  it('prints the two sbatch commands, the merge with an afterany dependency on the array', () => {
    const { dir, output } = setUp('printed', { shards: 2 });
    const quoted = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
    expect(output.lines).toEqual([
      `jobid=$(sbatch --parsable ${quoted(join(dir, 'slurm', 'array.sbatch'))})`,
      `sbatch --dependency=afterany:$jobid ${quoted(join(dir, 'slurm', 'merge.sbatch'))}`,
    ]);
    // The printed lines work when pasted into a shell: bash reads each path back whole.
    const fakeBin = join(root, 'bin-printed');
    mkdirSync(fakeBin, { recursive: true });
    const sbatchRecord = join(root, 'sbatch-printed');
    recorder(join(fakeBin, 'sbatch'), sbatchRecord, 'echo 41\n');
    const result = spawnSync('bash', ['-c', output.lines.join('\n')], { env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(recordedCalls(sbatchRecord)).toEqual([
      ['--parsable', join(dir, 'slurm', 'array.sbatch')],
      ['--dependency=afterany:41', join(dir, 'slurm', 'merge.sbatch')],
    ]);
  });
});

describe('submission', () => {
  let root: string;
  let specPath: string;
  let fakeBin: string;
  let sbatchRecord: string;
  let path: string;
  beforeAll(() => {
    root = tempDir('shatter-slurm-submit-');
    specPath = writeSpec(root, 'spec.json', specWithTasks(8));
    fakeBin = join(root, 'bin');
    mkdirSync(fakeBin);
    sbatchRecord = join(root, 'sbatch-calls');
    // sbatch --parsable prints "id;cluster" on federated sites: ids count up from 100.
    recorder(join(fakeBin, 'sbatch'), sbatchRecord, `n=$(tr -cd '\\036' < ${shellQuote(sbatchRecord)} | wc -c); echo "$((99 + n));cluster"\n`);
    path = process.env.PATH ?? '';
  });

  function withFakeSlurm<T>(squeueOutput: string, body: () => T): T {
    recorder(join(fakeBin, 'squeue'), join(root, 'squeue-calls'), `printf '${squeueOutput}'\n`);
    process.env.PATH = `${fakeBin}:${path}`;
    try {
      return body();
    } finally {
      process.env.PATH = path;
    }
  }

  it('--submit submits the array, then the merge with --dependency=afterany on the array job, and records both', () => {
    rmSync(sbatchRecord, { force: true });
    const dir = join(root, 'submitted');
    const output = collector();
    const code = withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 4, concurrent: 3, submit: true }, output));
    expect(code).toBe(0);
    expect(recordedCalls(sbatchRecord)).toEqual([
      ['--parsable', join(dir, 'slurm', 'array.sbatch')],
      ['--parsable', '--dependency=afterany:100', join(dir, 'slurm', 'merge.sbatch')],
    ]);
    expect(output.lines).toEqual(['array job 100 (elements 1-4%3)', 'merge job 101 (after array job 100 ends, whatever its outcome)']);
    const plan = readPlanFile(dir)!;
    expect(plan.submissions.map((s) => [s.kind, s.array, s.array_job, s.merge_job])).toEqual([['submit', '1-4%3', '100', '101']]);
  });

  it('--resubmit submits only unfinished elements (here all: no shard started) with a new afterany merge', () => {
    rmSync(sbatchRecord, { force: true });
    const dir = join(root, 'resubmitted');
    withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 6, maxArray: 3, submit: false }, collector()));
    const output = collector();
    expect(withFakeSlurm('555\n', () => resubmitCommand(dir, false, output))).toBe(0);
    expect(recordedCalls(sbatchRecord)).toEqual([
      ['--parsable', '--array=1-3', join(dir, 'slurm', 'array.sbatch')],
      ['--parsable', '--dependency=afterany:100', join(dir, 'slurm', 'merge.sbatch')],
    ]);
    expect(output.errors.filter((line) => line.includes('re-running'))).toHaveLength(6);
  });

  it('--resubmit moves an earlier merged result aside (never deletes it) before the new merge job writes DIR', () => {
    rmSync(sbatchRecord, { force: true });
    const dir = join(root, 'remerge');
    withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 2, submit: false }, collector()));
    writeFileSync(join(dir, 'manifest.json'), '{"status": "merged"}');
    writeFileSync(join(dir, 'runs.arrow'), 'rows');
    const output = collector();
    expect(withFakeSlurm('', () => resubmitCommand(dir, true, output))).toBe(0);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
    const moved = /moved to (.*)$/m.exec(output.errors.join('\n'))![1];
    expect(moved.startsWith(join(dir, 'slurm', 'superseded-'))).toBe(true);
    expect(readFileSync(join(moved, 'manifest.json'), 'utf8')).toBe('{"status": "merged"}');
    expect(readFileSync(join(moved, 'runs.arrow'), 'utf8')).toBe('rows');
    expect(recordedCalls(sbatchRecord)[0]).toEqual(['--parsable', '--array=1-2', '--export=ALL,SHATTER_RETRY_FAILED=1', join(dir, 'slurm', 'array.sbatch')]);
  });

  it('refuses to resubmit while a job of an earlier submission is pending or running', () => {
    rmSync(sbatchRecord, { force: true });
    const dir = join(root, 'busy');
    withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 2, submit: true }, collector()));
    rmSync(sbatchRecord, { force: true });
    expect(() => withFakeSlurm('7\n100\n', () => resubmitCommand(dir, false, collector()))).toThrow(/jobs 100 of an earlier submission are still pending or running/);
    expect(recordedCalls(sbatchRecord)).toHaveLength(0);
  });

  it('refuses to resubmit unfinished shards whose finished tasks another version of the tool made, naming them', () => {
    rmSync(sbatchRecord, { force: true });
    const dir = join(root, 'versions');
    withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 2, submit: false }, collector()));
    // Shard 1 run with every task failing (unfinished for --retry-failed), then marked as made by another version.
    const faults = Object.fromEntries(expandSpec(validateSpec(specWithTasks(8))).map((task) => [task.id, 'throw']));
    const shardOut = join(dir, 'shards', '1');
    const run = runCli(['run', specPath, '--shard', '1/2', '--out', shardOut, '--quiet'], { env: { NEURAL_SHATTER_TEST_FAULTS: JSON.stringify(faults) } });
    expect(run.code, run.stderr).toBe(1);
    const manifestPath = join(shardOut, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), tool_version: '0.0.1-other', git_commit: null }));
    expect(() => withFakeSlurm('', () => resubmitCommand(dir, true, collector()))).toThrow(/another version of the tool[\s\S]*shard 1 \(array element 1[\s\S]*made by 0\.0\.1-other/);
    expect(recordedCalls(sbatchRecord)).toHaveLength(0);
  });

  it('--check names every unfinished shard with its element and prints the re-submission command', () => {
    const dir = join(root, 'check');
    withFakeSlurm('', () => slurmCommand({ specPath, out: dir, shards: 5, maxArray: 2, submit: false }, collector()));
    const output = collector();
    expect(checkCommand(dir, output)).toBe(1);
    const text = output.errors.join('\n');
    expect(text).toContain('5 of 5 shards are not finished');
    expect(text).toContain(`shard 3 (array element 2, ${join(dir, 'shards', '3')}): not started`);
    expect(text).toMatch(/unfinished array elements: 1-2/);
    expect(text).toContain(`slurm ${dir} --resubmit`);
  });

  it('reports a missing sbatch as a failure (exit 1), not a crash', () => {
    const dir = join(root, 'nosbatch');
    const output = collector();
    process.env.PATH = join(root, 'empty-path');
    try {
      expect(slurmCommand({ specPath, out: dir, shards: 2, submit: true }, output)).toBe(1);
    } finally {
      process.env.PATH = path;
    }
    expect(output.errors.join('\n')).toMatch(/sbatch: not found on PATH/);
  });
});

describe('bad input exits 2 naming the flag', () => {
  let root: string;
  let specPath: string;
  beforeAll(() => {
    root = tempDir('shatter-slurm-bad-');
    specPath = writeSpec(root, 'spec.json', specWithTasks(4));
  });

  const cases: [string, string[], RegExp][] = [
    ['--shards 0', ['--shards', '0'], /--shards: got "0"; allowed: a whole number >= 1/],
    ['--shards missing', [], /--shards: required/],
    ['--shards above the task count', ['--shards', '5'], /--shards: got 5, but spec "tiny" has 4 tasks; allowed: 1\.\.4/],
    ['--max-array 0', ['--shards', '2', '--max-array', '0'], /--max-array: got "0"/],
    ['--concurrent 1.5', ['--shards', '2', '--concurrent', '1.5'], /--concurrent: got "1\.5"/],
    ['--cpus-per-task abc', ['--shards', '2', '--cpus-per-task', 'abc'], /--cpus-per-task: got "abc"/],
    ['--time 2h', ['--shards', '2', '--time', '2h'], /--time: got "2h"; allowed: Slurm's formats/],
    ['--partition with a space', ['--shards', '2', '--partition', 'a b'], /--partition: got "a b"/],
  ];
  for (const [name, flags, message] of cases) {
    it(name, () => {
      const out = join(root, `out-${name.replace(/\W+/g, '-')}`);
      const result = runCli(['slurm', specPath, '--out', out, ...flags]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a DIR holding another spec, another shard count, or something else', () => {
    const dir = join(root, 'taken');
    expect(runCli(['slurm', specPath, '--out', dir, '--shards', '2']).code).toBe(0);
    const other = writeSpec(root, 'other.json', { ...specWithTasks(4), name: 'other' });
    let result = runCli(['slurm', other, '--out', dir, '--shards', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--out .*taken: holds another spec \("tiny"/);
    result = runCli(['slurm', specPath, '--out', dir, '--shards', '3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--shards: got 3, but .* was set up with --shards 2/);
    // The same spec and shard count again: the scripts are rewritten (e.g. with a new --time).
    expect(runCli(['slurm', specPath, '--out', dir, '--shards', '2', '--time', '30']).code).toBe(0);
    expect(readFileSync(join(dir, 'slurm', 'array.sbatch'), 'utf8')).toContain('#SBATCH --time=30');

    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    result = runCli(['slurm', specPath, '--out', foreign, '--shards', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not empty and was not set up by `shatter slurm`/);
  });

  it('a DIR that sbatch cannot carry, and --resubmit/--check on a directory that is not a sweep', () => {
    let result = runCli(['slurm', specPath, '--out', join(root, '100% done'), '--shards', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--out .*contains "%"/);
    result = runCli(['slurm', root, '--resubmit']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no slurm\/plan\.json/);
    result = runCli(['slurm', join(root, 'nowhere'), '--check']);
    expect(result.code).toBe(2);
    result = runCli(['slurm', root, '--resubmit', '--shards', '3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--resubmit: takes only the sweep directory; drop --shards/);
  });
});
