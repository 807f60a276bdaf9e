/**
 * Report: figures (Vega-Lite specs rendered to SVG and PNG in Node) and summary tables (fitted
 * rates with bootstrap intervals) of an output directory, written to DIR/report/.
 */
export { generateReport, planFigures, type ReportOutcome } from './generate.js';
export { readOutput, type OutputData, type OutputState, type RunRow, type CurveData, type NeuronData } from './read-output.js';
export { fitRate, leastSquaresLine, median, theoryRates, type RateFit, type SeedValuesAtN, type BootstrapOptions } from './slopes.js';
export { renderFigure, compileFigure, fontFiles, FONT_FAMILY, type RenderedFigure } from './render.js';
export type { FigurePlan } from './figures/figure.js';
export type { SlopeRow } from './figures/curse.js';
export type { ReportJson } from './page.js';
