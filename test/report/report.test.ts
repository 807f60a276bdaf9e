import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { fontFiles, FONT_FAMILY, generateReport, type ReportJson, type ReportOutcome } from '../../src/report/index.js';
import { fixtureColumns, manifestFor, tempDir, writeArrow, writeFixtureDir, writeRunningSweep } from './fixtures.js';

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function track<T extends { dir: string }>(value: T): T {
  created.push(value.dir);
  return value;
}

function readReport(outcome: ReportOutcome): ReportJson {
  return JSON.parse(readFileSync(join(outcome.dir, 'report.json'), 'utf8')) as ReportJson;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const AXIS_TITLES: Record<string, string[]> = {
  shattering: ['activation rate', 'a = |v| ||w|| (log scale)'],
  'edge-of-stability': ['epoch', 'training loss (log scale)', 'lambda_max (log scale)', 'final eos_ratio = eta lambda_max / 2'],
  'curse-of-dimensionality': ['n (training samples, log scale)', 'test MSE vs f0 (log scale)'],
  'theorem-3-2': ['|f|_Vg'],
  'training-health': ['tasks', 'clipped epochs', 'Lanczos iterations'],
};

describe('report of a finished sweep', () => {
  it('writes an SVG and a PNG of every figure with marks and labelled axes, and a page that shows them', async () => {
    const fixture = track(writeFixtureDir({}, 'finished'));
    const outcome = await generateReport(fixture.dir);
    expect(outcome.dir).toBe(join(fixture.dir, 'report'));
    expect(outcome.figures.map((f) => f.name)).toEqual(Object.keys(AXIS_TITLES));

    const html = readFileSync(outcome.indexHtml, 'utf8');
    for (const figure of outcome.figures) {
      const svg = readFileSync(figure.svg, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toMatch(/class="mark-(symbol|line|rect|rule|tick)[^"]*role-mark/);
      expect(svg).toMatch(/role-axis-title/);
      for (const title of AXIS_TITLES[figure.name]) expect(svg).toContain(`>${title.replace(/&/g, '&amp;')}</text>`);
      expect(svg).toContain(`font-family="${FONT_FAMILY}"`);

      const png = readFileSync(figure.png);
      const svgWidth = Number(/^<svg[^>]* width="(\d+(\.\d+)?)"/.exec(svg)![1]);
      expect(pngSize(png).width).toBe(Math.round(2 * svgWidth));

      const svgName = figure.svg.split('/').pop()!;
      const pngName = figure.png.split('/').pop()!;
      expect(html).toContain(`<img src="${pngName}"`);
      expect(html).toContain(`href="${svgName}"`);
      expect(figure.caption.length).toBeGreaterThan(40);
      expect(html).toContain(figure.caption.slice(0, 30).replace(/&/g, '&amp;').replace(/'/g, '&#39;'));
    }

    const report = readReport(outcome);
    expect(report.state).toBe('complete');
    expect(report.tasks_found).toBe(fixture.runs.length);
    expect(report.status_counts).toEqual({ ok: fixture.runs.length });
    expect(report.slopes).toHaveLength(4);
    expect(report.configurations).toHaveLength(12);
    const summary = readFileSync(join(outcome.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('| method | d | rate | 95% bootstrap CI | theory upper 1/(2d+4) | theory minimax 2/(d+1) | n | seeds per n |');
    for (const slope of report.slopes) expect(summary).toContain(`| ${slope.panel} | ${slope.d} |`);
    expect(html).toContain('<table class="slopes">');
  }, 60_000);

  it('draws text in the PNG with the bundled font alone', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="white"/><text x="5" y="28" font-family="${FONT_FAMILY}" font-size="20">lambda</text></svg>`;
    const darkPixels = (files: string[]) => {
      const image = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: files, defaultFontFamily: FONT_FAMILY } }).render();
      let dark = 0;
      for (let i = 0; i < image.pixels.length; i += 4) if (image.pixels[i] < 128) dark++;
      return dark;
    };
    expect(fontFiles().every((file) => existsSync(file))).toBe(true);
    expect(darkPixels(fontFiles())).toBeGreaterThan(50);
    expect(darkPixels([])).toBe(0);
  });
});

describe('report of directories with nothing or little to show', () => {
  it('refuses a directory that does not exist, naming it', async () => {
    await expect(generateReport('/nonexistent/shatter-out')).rejects.toThrow(/output directory \/nonexistent\/shatter-out does not exist/);
  });

  it('renders an empty directory (no files at all) with a note', async () => {
    const dir = tempDir('empty');
    created.push(dir);
    const outcome = await generateReport(dir);
    const report = readReport(outcome);
    expect(report.state).toBe('empty');
    expect(report.figures).toEqual([]);
    expect(report.notes.join(' ')).toMatch(/manifest.json is missing/);
    expect(report.notes.join(' ')).toMatch(/No finished task yet/);
    const html = readFileSync(outcome.indexHtml, 'utf8');
    expect(html).toContain('No figure: nothing in the directory to plot yet.');
    expect(html).not.toContain('<img');
  });

  it('renders a started sweep whose tables have no row yet', async () => {
    const dir = tempDir('no-rows');
    created.push(dir);
    const { columns } = fixtureColumns({ statusOf: () => 'failed' });
    const emptyRuns = Object.fromEntries(Object.entries(columns.runs).map(([name, c]) => [name, { type: c.type, values: [] }]));
    writeArrow(join(dir, 'runs.arrow'), emptyRuns);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestFor(36, 'running')));
    const report = readReport(await generateReport(dir));
    expect(report.state).toBe('empty');
    expect(report.tasks_found).toBe(0);
    expect(report.task_count).toBe(36);
  });

  it('renders a failed-only directory: the health figure and the errors, with a note', async () => {
    const fixture = track(writeFixtureDir({ statusOf: (i) => (i % 3 === 0 ? 'timeout' : 'failed') }, 'failed-only'));
    const outcome = await generateReport(fixture.dir);
    const report = readReport(outcome);
    expect(outcome.figures.map((f) => f.name)).toEqual(['training-health']);
    expect(report.status_counts).toEqual({ failed: 24, timeout: 12 });
    expect(report.notes.join(' ')).toMatch(/No task ended ok/);
    expect(report.problems).toHaveLength(36);
    expect(report.problems[0].error).toMatch(/synthetic failure|timed out/);
    const html = readFileSync(outcome.indexHtml, 'utf8');
    expect(html).toContain('<table class="problems">');
    expect(html).toContain('Error: synthetic failure');
    expect(readFileSync(join(outcome.dir, 'summary.md'), 'utf8')).toContain('## Tasks that did not end ok');
  });

  it('renders a running sweep from its part files: committed tasks only, a cut-off tail ignored', async () => {
    const running = track(writeRunningSweep(15));
    const outcome = await generateReport(running.dir);
    const report = readReport(outcome);
    expect(report.state).toBe('partial');
    expect(report.tasks_found).toBe(15);
    expect(report.task_count).toBe(36);
    const notes = report.notes.join(' ');
    expect(notes).toMatch(/The sweep is running: the report shows the 15 task\(s\) committed so far/);
    expect(notes).toMatch(/Partial results: 15 of 36 tasks are finished \(manifest status: running\)/);
    expect(outcome.figures.map((f) => f.name)).toEqual(['shattering', 'edge-of-stability', 'curse-of-dimensionality', 'theorem-3-2', 'training-health']);
    const eos = JSON.parse(readFileSync(join(outcome.dir, 'edge-of-stability.vl.json'), 'utf8')) as { vconcat: { data: { values: { seed: string }[] } }[] };
    // 15 committed tasks x 11 curve rows; the in-flight task's half batch is not read.
    expect(eos.vconcat[0].data.values).toHaveLength(15 * 11);
    const shattering = JSON.parse(readFileSync(join(outcome.dir, 'shattering.vl.json'), 'utf8')) as { data: { values: unknown[] } };
    // 15 tasks x 7 neurons with a > 0 (neuron 1 has a = 0).
    expect(shattering.data.values).toHaveLength(15 * 7);
    expect(report.configurations.reduce((sum, c) => sum + c.tasks, 0)).toBe(15);
  }, 60_000);

  it('reports a finalised but interrupted sweep as partial', async () => {
    const fixture = track(writeFixtureDir({}, 'interrupted'));
    writeFileSync(join(fixture.dir, 'manifest.json'), JSON.stringify(manifestFor(40, 'interrupted')));
    const report = readReport(await generateReport(fixture.dir));
    expect(report.state).toBe('partial');
    expect(report.notes.join(' ')).toMatch(/Partial results: 36 of 40 tasks are finished \(manifest status: interrupted\)/);
  });
});
