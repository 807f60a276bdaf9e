import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepWriter, combineOutputs, finalizeOutput, readTable, scanCommitted } from '../../src/io/index.js';
import { OPTIONS, PLAIN_OPTIONS, taskConfig, taskId, taskResult } from './fixtures.js';
import { expectedTables, tableColumns } from './expected.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'io-combine-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function commit(dir: string, tasks: [number, number][], options = OPTIONS): void {
  const writer = SweepWriter.open(dir, options);
  for (const [index, variant] of tasks) writer.commit(taskId(index), taskConfig(index), taskResult(index, undefined, variant, options));
  writer.close();
}

const TABLES = ['runs', 'curves', 'neurons', 'data'];

describe('combineOutputs', () => {
  for (const [label, options] of [['every column', OPTIONS], ['no saved params or data', PLAIN_OPTIONS]] as const) {
    it(`gives the same bytes as one directory holding all the tasks (${label})`, () => {
      const single = join(root, 'single');
      const shardA = join(root, 'a');
      const shardB = join(root, 'b');
      const combined = join(root, 'combined');
      // The single run: two sessions, the second retrying failed tasks 3 and 8 (latest commit wins).
      const indices = Array.from({ length: 14 }, (_, i) => i);
      commit(single, indices.map((i) => [i, 0]), options);
      commit(single, [[3, 1], [8, 1]], options);
      finalizeOutput(single, options);
      // The same tasks in two shards, committed in another order and with the retries in other sessions.
      commit(shardA, indices.filter((i) => i % 2 === 0).reverse().map((i) => [i, 0]), options);
      commit(shardA, [[8, 1]], options);
      commit(shardB, [[3, 0]], options);
      commit(shardB, indices.filter((i) => i % 2 === 1).map((i) => [i, i === 3 ? 1 : 0]), options);
      expect(combineOutputs([shardA, shardB], combined, options)).toEqual({ tasks: 14 });
      for (const table of TABLES) {
        const path = `${table}.arrow`;
        expect(existsSync(join(combined, path))).toBe(existsSync(join(single, path)));
        if (!existsSync(join(single, path))) continue;
        expect(Buffer.compare(readFileSync(join(combined, path)), readFileSync(join(single, path))), path).toBe(0);
      }
      const expected = expectedTables(indices.map((index) => ({ index, variant: index === 3 || index === 8 ? 1 : 0 })), undefined, options);
      expect(tableColumns(readTable(join(combined, 'runs.arrow')))).toEqual(expected.runs);
      expect(tableColumns(readTable(join(combined, 'neurons.arrow')))).toEqual(expected.neurons);
    });
  }

  it('refuses a task committed in two inputs, naming it, and writes nothing', () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const out = join(root, 'out');
    commit(a, [[0, 0], [1, 0]]);
    commit(b, [[2, 0], [1, 0]]);
    expect(() => combineOutputs([a, b], out, OPTIONS)).toThrow(new RegExp(`task ${taskId(1)} is committed in both ${a} and ${b}`));
    expect(existsSync(out)).toBe(false);
  });

  it('refuses inputs written with other options, and an output that is also an input', () => {
    const a = join(root, 'a');
    commit(a, [[0, 0]], PLAIN_OPTIONS);
    expect(() => combineOutputs([a], join(root, 'out'), OPTIONS)).toThrow(/but the table options give/);
    expect(() => combineOutputs([a], a, PLAIN_OPTIONS)).toThrow(/is also an input/);
  });

  it('leaves a directory that can be resumed and combined again', () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const out = join(root, 'out');
    commit(a, [[0, 0]]);
    commit(b, [[1, 0]]);
    combineOutputs([a, b], out, OPTIONS);
    commit(out, [[2, 0]]);
    expect([...scanCommitted(out).keys()].sort()).toEqual([0, 1, 2].map(taskId).sort());
    expect(finalizeOutput(out, OPTIONS).tasks).toBe(3);
    const again = join(root, 'again');
    commit(join(root, 'c'), [[5, 0]]);
    expect(combineOutputs([out, join(root, 'c')], again, OPTIONS).tasks).toBe(4);
    expect(tableColumns(readTable(join(again, 'curves.arrow')))).toEqual(expectedTables([0, 1, 2, 5].map((index) => ({ index }))).curves);
  });
});
