import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train, type LossKind } from '../../src/model/index.js';
import { runTorchReference, torchReferenceAvailability, writeTorchLoadFile } from '../helpers/torch-export.js';
import { testConfig } from '../helpers/train-config.js';

const EPOCHS = 100;
const { available, reason } = torchReferenceAvailability();
if (!available) console.warn(`PyTorch cross-check skipped: ${reason}`);

interface Arm {
  label: string;
  loss: LossKind;
  eta: number;
  weightDecay: number;
  clip: number;
  clipFires: boolean;
}

const ARMS: Arm[] = [
  { label: 'half_mse', loss: 'half_mse', eta: 0.2, weightDecay: 0, clip: 50, clipFires: false },
  { label: 'mse', loss: 'mse', eta: 0.1, weightDecay: 0, clip: 50, clipFires: false },
  { label: 'half_mse with weight decay', loss: 'half_mse', eta: 0.2, weightDecay: 0.1, clip: 50, clipFires: false },
  { label: 'mse with weight decay, clipping firing', loss: 'mse', eta: 0.1, weightDecay: 0.05, clip: 0.5, clipFires: true },
  { label: 'half_mse with weight decay, clipping firing', loss: 'half_mse', eta: 0.4, weightDecay: 0.01, clip: 0.3, clipFires: true },
];

/**
 * Our loss curve against ../shared/reference/torch_gd.py --load --exact-clip (float64 PyTorch)
 * from the same data and initial parameters. Its loss_curve holds the loss before each step,
 * epochs 0..E-1: our onEpoch(e) reports the same state (after e steps).
 */
describe.skipIf(!available)(`the loss curve against PyTorch (torch_gd.py --exact-clip)${available ? '' : ` [skipped: ${reason}]`}`, () => {
  let workDir = '';
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'shatter-torch-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it.concurrent.each(ARMS)('$label: every epoch within 1e-9 relative over 100 epochs', async (arm) => {
    const config = testConfig({ d: 5, n: 64, width: 96, data_seed: 11, init_seed: 12, epochs: EPOCHS, loss: arm.loss, eta: arm.eta, weight_decay: arm.weightDecay, clip: arm.clip });
    const ours: number[] = [];
    const outcome = train(config, { onEpoch: (_epoch, loss) => ours.push(loss) });
    outcome.kernel.dispose();
    expect(outcome.status).toBe('ok');

    const stem = join(workDir, arm.label.replace(/[^a-z_]+/g, '-'));
    writeTorchLoadFile(`${stem}.load.json`, outcome.dataset.xTrain, outcome.dataset.yTrain, outcome.initialParams, config.d, config.width);
    const reference = await runTorchReference({ loadFile: `${stem}.load.json`, jsonOut: `${stem}.out.json`, loss: arm.loss, eta: arm.eta, weightDecay: arm.weightDecay, clip: arm.clip, epochs: EPOCHS });

    expect(reference.loss_curve.map(([epoch]) => epoch)).toEqual(Array.from({ length: EPOCHS }, (_, e) => e));
    let worst = 0;
    for (let e = 0; e < EPOCHS; e++) {
      const theirs = reference.loss_curve[e][1];
      worst = Math.max(worst, Math.abs(ours[e] - theirs) / Math.abs(theirs));
    }
    expect(worst).toBeLessThan(1e-9);
    // The run did something: the loss moved, and clipping fired exactly when intended.
    expect(Math.abs(ours[EPOCHS - 1] - ours[0]) / ours[0]).toBeGreaterThan(0.01);
    expect(reference.clipped_epochs).toBe(outcome.clippedEpochs);
    expect(outcome.clippedEpochs > 0).toBe(arm.clipFires);
  }, 60_000);
});
