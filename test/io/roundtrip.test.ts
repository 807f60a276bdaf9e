import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, type Field } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepWriter, finalizeOutput, readTable, scanCommitted } from '../../src/io/index.js';
import { OPTIONS, PLAIN_OPTIONS, taskConfig, taskId, taskResult } from './fixtures.js';
import { type Committed, expectedTables, tableColumns } from './expected.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'io-roundtrip-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function commitAll(target: string, indices: number[], variant = 0, options = OPTIONS): void {
  const writer = SweepWriter.open(target, options);
  for (const index of indices) writer.commit(taskId(index), taskConfig(index), taskResult(index, undefined, variant, options));
  writer.close();
}

function expectTablesEqual(target: string, committed: Committed[], options = OPTIONS): void {
  const expected = expectedTables(committed, undefined, options);
  for (const table of ['runs', 'curves', 'neurons', 'data'] as const) {
    const path = join(target, `${table}.arrow`);
    if (Object.keys(expected[table]).length === 0) {
      expect(existsSync(path), `${table}.arrow should not exist`).toBe(false);
      continue;
    }
    expect(tableColumns(readTable(path)), table).toEqual(expected[table]);
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('round trip of every column type', () => {
  it('gives back every value written, nulls and lists included, sorted by task_id', () => {
    commitAll(dir, range(12));
    const { tasks, byStatus } = finalizeOutput(dir, OPTIONS);
    expect(tasks).toBe(12);
    expect(byStatus).toEqual({ ok: 6, diverged: 2, failed: 2, timeout: 2 });
    expectTablesEqual(dir, range(12).map((index) => ({ index })));
  });

  it('uses the explicit Arrow types: int32, float64, bool, plain utf8, list<float64> with child item', () => {
    commitAll(dir, range(3));
    finalizeOutput(dir, OPTIONS);
    const typeOf = (table: string, column: string): Field => readTable(join(dir, `${table}.arrow`)).schema.fields.find((f) => f.name === column)!;
    for (const table of ['runs', 'curves', 'neurons', 'data']) {
      for (const field of readTable(join(dir, `${table}.arrow`)).schema.fields) {
        expect(DataType.isDictionary(field.type), `${table}.${field.name}`).toBe(false);
        expect(DataType.isInt(field.type) ? (field.type as unknown as { bitWidth: number }).bitWidth : 32, `${table}.${field.name}`).toBe(32);
      }
    }
    expect(String(typeOf('runs', 'task_id').type)).toBe('Utf8');
    expect(String(typeOf('runs', 'd').type)).toBe('Int32');
    expect(String(typeOf('runs', 'eta').type)).toBe('Float64');
    expect(String(typeOf('runs', 'flag').type)).toBe('Bool');
    expect(String(typeOf('runs', 'lambda_max_converged').type)).toBe('Bool');
    expect(String(typeOf('runs', 'epochs_run').type)).toBe('Int32');
    expect(String(typeOf('curves', 'clipped').type)).toBe('Bool');
    for (const [table, column] of [['neurons', 'w'], ['neurons', 'w0'], ['data', 'x']]) {
      const field = typeOf(table, column);
      expect(DataType.isList(field.type)).toBe(true);
      expect(field.type.children[0].name).toBe('item');
      expect(String(field.type.children[0].type)).toBe('Float64');
    }
    expect(readTable(join(dir, 'runs.arrow')).schema.fields.map((f) => f.name).some((name) => name.startsWith('__'))).toBe(false);
  });

  it('leaves out w, w0/b0/v0 and data.arrow when the options do', () => {
    commitAll(dir, range(5), 0, PLAIN_OPTIONS);
    finalizeOutput(dir, PLAIN_OPTIONS);
    expect(readTable(join(dir, 'neurons.arrow')).schema.fields.map((f) => f.name)).toEqual(
      ['task_id', 'neuron', 'activation_count', 'activation_rate', 'w_norm', 'b', 'v', 'a', 't', 'g'],
    );
    expect(existsSync(join(dir, 'data.arrow'))).toBe(false);
    expectTablesEqual(dir, range(5).map((index) => ({ index })), PLAIN_OPTIONS);
  });

  it('keeps every value right past the encoders\' periodic restart (300 tasks)', () => {
    commitAll(dir, range(300), 0, PLAIN_OPTIONS);
    expect(finalizeOutput(dir, PLAIN_OPTIONS).tasks).toBe(300);
    expectTablesEqual(dir, range(300).map((index) => ({ index })), PLAIN_OPTIONS);
  });

  it('writes empty tables with their schemas when nothing is committed', () => {
    finalizeOutput(dir, OPTIONS);
    expect(readTable(join(dir, 'runs.arrow')).numRows).toBe(0);
    expect(readTable(join(dir, 'curves.arrow')).schema.fields.length).toBe(9);
    expect(existsSync(join(dir, 'data.arrow'))).toBe(false);
  });
});

describe('commits and sessions', () => {
  it('gives each open its own session directory and finds every commit', () => {
    commitAll(dir, [0, 1, 2]);
    commitAll(dir, [3, 4]);
    expect(readdirSync(join(dir, 'parts')).sort()).toEqual(['000001', '000002']);
    const committed = scanCommitted(dir);
    expect([...committed.keys()].sort()).toEqual([0, 1, 2, 3, 4].map(taskId).sort());
    expect(committed.get(taskId(3))).toEqual({ status: 'failed', error: 'Error: task 3 blew up\n  at line "0"' });
    expect(committed.get(taskId(0))).toEqual({ status: 'ok', error: null });
  });

  it('lets the latest commit of a task win (a retried failed task replaces its rows)', () => {
    commitAll(dir, [0, 1, 2, 3, 4]);
    commitAll(dir, [3, 4], 1);
    expect(scanCommitted(dir).get(taskId(3))).toEqual({ status: 'ok', error: null });
    finalizeOutput(dir, OPTIONS);
    expectTablesEqual(dir, [{ index: 0 }, { index: 1 }, { index: 2 }, { index: 3, variant: 1 }, { index: 4, variant: 1 }]);
  });

  it('a later commit in the same session also wins', () => {
    const writer = SweepWriter.open(dir, OPTIONS);
    writer.commit(taskId(1), taskConfig(1), taskResult(1));
    writer.commit(taskId(1), taskConfig(1), taskResult(1, undefined, 2));
    writer.close();
    finalizeOutput(dir, OPTIONS);
    expectTablesEqual(dir, [{ index: 1, variant: 2 }]);
  });

  it('reads a cut runs part file as exactly the commits it holds whole, wherever the cut', () => {
    const writer = SweepWriter.open(dir, OPTIONS);
    const ends: number[] = [];
    const runsPart = join(writer.sessionPath, 'runs.arrows');
    for (const index of range(4)) {
      writer.commit(taskId(index), taskConfig(index), taskResult(index));
      ends.push(statSync(runsPart).size);
    }
    writer.close();
    const whole = readFileSync(runsPart);
    // Every byte near a frame boundary (where an off-by-one would show) and a stride elsewhere.
    const cuts = new Set<number>();
    for (const end of [0, ends[0] - (ends[1] - ends[0]), ...ends]) for (let k = -16; k <= 16; k++) cuts.add(end + k);
    for (let length = 0; length <= whole.byteLength; length += 37) cuts.add(length);
    for (const length of [...cuts].filter((l) => l >= 0 && l <= whole.byteLength)) {
      writeFileSync(runsPart, whole.subarray(0, length));
      const expected = ends.filter((end) => end <= length).length;
      const committed = scanCommitted(dir);
      expect(committed.size, `runs part cut at ${length} bytes`).toBe(expected);
      expect([...committed.keys()]).toEqual(range(expected).map(taskId));
    }
  });

  it('ignores rows of a task whose runs row never reached the disk', () => {
    const writer = SweepWriter.open(dir, OPTIONS);
    const runsPart = join(writer.sessionPath, 'runs.arrows');
    writer.commit(taskId(0), taskConfig(0), taskResult(0));
    const committedBytes = statSync(runsPart).size;
    writer.commit(taskId(1), taskConfig(1), taskResult(1));
    // A kill between task 1's curves batch and its runs row: the runs file ends before that row.
    truncateSync(runsPart, committedBytes);
    finalizeOutput(dir, OPTIONS);
    expectTablesEqual(dir, [{ index: 0 }]);
    expect(readTable(join(dir, 'curves.arrow')).getChild('task_id')!.toArray()).not.toContain(taskId(1));
  });
});

describe('finalisation', () => {
  it('is idempotent: a second run writes the same bytes and leaves no temporary files', () => {
    commitAll(dir, range(6));
    finalizeOutput(dir, OPTIONS);
    const first = ['runs', 'curves', 'neurons', 'data'].map((t) => readFileSync(join(dir, `${t}.arrow`)));
    finalizeOutput(dir, OPTIONS);
    const second = ['runs', 'curves', 'neurons', 'data'].map((t) => readFileSync(join(dir, `${t}.arrow`)));
    second.forEach((bytes, i) => expect(Buffer.compare(bytes, first[i])).toBe(0));
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('folds a session opened after finalisation into the next finalisation', () => {
    commitAll(dir, [0, 1]);
    finalizeOutput(dir, OPTIONS);
    commitAll(dir, [2]);
    expect(finalizeOutput(dir, OPTIONS).tasks).toBe(3);
    expectTablesEqual(dir, [{ index: 0 }, { index: 1 }, { index: 2 }]);
  });

  it('puts runs rows in batches of 1024 and one batch per task in the other tables', () => {
    commitAll(dir, range(3));
    finalizeOutput(dir, OPTIONS);
    expect(readTable(join(dir, 'runs.arrow')).batches.length).toBe(1);
    // tasks 3 and 4 of range(5) failed: no curves; here range(3) all have curves.
    expect(readTable(join(dir, 'curves.arrow')).batches.length).toBe(3);
  });

  it('refuses parts written with other options, naming both column lists', () => {
    commitAll(dir, [0], 0, PLAIN_OPTIONS);
    expect(() => finalizeOutput(dir, OPTIONS)).toThrow(/has columns .* but the table options give/);
  });

  it('refuses to replace final tables whose part files are gone', () => {
    commitAll(dir, [0]);
    finalizeOutput(dir, OPTIONS);
    const before = readFileSync(join(dir, 'runs.arrow'));
    rmSync(join(dir, 'parts'), { recursive: true });
    expect(() => finalizeOutput(dir, OPTIONS)).toThrow(/holds 1 task\(s\) that are not in the part files/);
    // Nor after a resume that started new part files without the old ones.
    commitAll(dir, [1]);
    expect(() => finalizeOutput(dir, OPTIONS)).toThrow(new RegExp(`holds 1 task\\(s\\) that are not in the part files .*\\(${taskId(0)}\\)`));
    expect(Buffer.compare(readFileSync(join(dir, 'runs.arrow')), before)).toBe(0);
  });
});

describe('bad input', () => {
  it('names the config column and the value when a config value has the wrong type', () => {
    const writer = SweepWriter.open(dir, OPTIONS);
    expect(() => writer.commit('t', { ...taskConfig(0), d: 2.5 }, taskResult(0))).toThrow(/config\.d is 2\.5; expected an integer/);
    expect(() => writer.commit('t', { ...taskConfig(0), eta: '0.1' }, taskResult(0))).toThrow(/config\.eta is "0\.1"; expected a number/);
    const { flag: _, ...missing } = taskConfig(0);
    expect(() => writer.commit('t', missing, taskResult(0))).toThrow(/no value for column flag/);
    expect(() => writer.commit('t', { ...taskConfig(0), extra: 1 }, taskResult(0))).toThrow(/config key extra is not a config column/);
    writer.close();
    expect(scanCommitted(dir).size).toBe(0);
  });

  it('refuses results that do not match the save options', () => {
    const writer = SweepWriter.open(dir, PLAIN_OPTIONS);
    expect(() => writer.commit('t', taskConfig(0), taskResult(0))).toThrow(/saveData false/);
    writer.close();
    const full = SweepWriter.open(dir, OPTIONS);
    const result = taskResult(0);
    delete result.neurons!.w;
    expect(() => full.commit('t', taskConfig(0), result)).toThrow(/neurons\.w is missing .*saveParams/);
    const short = taskResult(0);
    short.curves!.grad_norm = new Float64Array(1);
    expect(() => full.commit('t', taskConfig(0), short)).toThrow(/curves\.grad_norm has 1 entries, expected 4/);
    full.close();
    expect(scanCommitted(dir).size).toBe(0);
  });

  it('refuses bad table options, naming the field', () => {
    expect(() => SweepWriter.open(dir, { configColumns: [{ name: 'd', type: 'int64' as 'int32' }] })).toThrow(/configColumns\[0\]\.type \(column d\) is "int64"; allowed: float64, int32, utf8, bool/);
    expect(() => SweepWriter.open(dir, { configColumns: [{ name: 'status', type: 'utf8' }] })).toThrow(/"status" is used twice or clashes/);
    expect(() => SweepWriter.open(dir, { configColumns: [], saveData: 'yes' as unknown as boolean })).toThrow(/saveData must be a boolean/);
  });
});
