export { sampleUniformBall, sampleUnitVector } from './ball.js';
export { makeTarget, CAPS_DEFAULTS, type TargetFunction, type TargetSettings } from './target.js';
export { makeDataset, type Dataset, type DatasetSettings } from './dataset.js';
