import { describe, expect, it } from 'vitest';
import { hutchinsonTrace, lanczosLargest, LanczosWorkspace } from '../../src/hessian/index.js';
import {
  lossScale,
  prepareTraining,
  train,
  TRAIN_DEFAULTS,
  type ActivationKind,
  type Kernel,
  type KernelChoice,
  type LossKind,
  type TrainConfig,
} from '../../src/model/index.js';
import { hessianByColumns, symmetricEigenvalues } from './full-hessian.js';

/** Networks of 100 to 300 parameters, d in {1, 3, 10}. */
const shapes = [
  { d: 1, n: 25, width: 60 }, // 181 parameters
  { d: 3, n: 30, width: 50 }, // 251
  { d: 10, n: 40, width: 24 }, // 289
];

/** Every kernel that can run the activation (both cover relu and gelu). */
const kernelsFor = (_activation: ActivationKind): KernelChoice[] => ['js', 'wasm'];

function config(
  shape: { d: number; n: number; width: number },
  activation: ActivationKind,
  loss: LossKind,
  seed: number,
  kernel: KernelChoice = 'js',
): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    ...shape,
    activation,
    loss,
    kernel,
    eta: 0.05,
    epochs: 300,
    n_test: 10,
    data_seed: seed,
    init_seed: seed,
  } as TrainConfig;
}

/** A kernel at initialisation or after `config.epochs` steps, with its forward state cached. */
function kernelAt(cfg: TrainConfig, trained: boolean): Kernel {
  const kernel = trained ? train(cfg).kernel : prepareTraining(cfg).kernel;
  kernel.lossAndGradient(lossScale(cfg.loss));
  return kernel;
}

/**
 * Largest step h such that moving the parameters by h * e_j flips no ReLU on the training data
 * (PAPER.md pitfall: finite differences must not cross a kink), capped at 1e-5.
 */
function safeStep(kernel: Kernel, x: Float64Array, j: number): number {
  const { d, width, bOffset } = kernel.layout;
  const n = kernel.shape.n;
  let step = 1e-5;
  if (kernel.shape.activation !== 'relu') return step;
  const neuron = j < width * d ? Math.floor(j / d) : j < bOffset + width ? j - bOffset : -1;
  if (neuron < 0) return step;
  for (let i = 0; i < n; i++) {
    let z = kernel.params[bOffset + neuron];
    for (let c = 0; c < d; c++) z += kernel.params[neuron * d + c] * x[i * d + c];
    const sensitivity = j < width * d ? Math.abs(x[i * d + (j % d)]) : 1;
    if (sensitivity > 0) step = Math.min(step, (0.5 * Math.abs(z)) / sensitivity);
  }
  return step;
}

describe('Hessian-vector products of the kernel', () => {
  for (const activation of ['relu', 'gelu'] as const) {
    for (const trained of [false, true]) {
      for (const kernelChoice of kernelsFor(activation)) {
        it(`${activation}, ${kernelChoice} kernel, ${trained ? 'after 300 epochs' : 'at init'}: every column H e_j matches central differences of the gradient`, () => {
          const shape = shapes[1];
          const cfg = config(shape, activation, 'half_mse', 3, kernelChoice);
          const { dataset } = prepareTraining(cfg);
          const kernel = kernelAt(cfg, trained);
          const size = kernel.params.length;
          const hessian = hessianByColumns(kernel);
          const base = Float64Array.from(kernel.params);
          const gradPlus = new Float64Array(size);
          let worst = 0;
          let scale = 0;
          for (let j = 0; j < size; j++) {
            const h = safeStep(kernel, dataset.xTrain, j);
            expect(h).toBeGreaterThan(1e-9);
            kernel.params[j] = base[j] + h;
            kernel.lossAndGradient(0.5);
            gradPlus.set(kernel.grad);
            kernel.params[j] = base[j] - h;
            kernel.lossAndGradient(0.5);
            for (let i = 0; i < size; i++) {
              const difference = (gradPlus[i] - kernel.grad[i]) / (2 * h);
              worst = Math.max(worst, Math.abs(difference - hessian.get(i, j)));
              scale = Math.max(scale, Math.abs(hessian.get(i, j)));
            }
            kernel.params[j] = base[j];
          }
          expect(worst).toBeLessThan(1e-6 * scale);
          // And H is symmetric.
          expect(hessian.sub(hessian.transpose()).abs().max()).toBeLessThanOrEqual(1e-12 * scale);
          expect(kernel.name).toBe(kernelChoice);
        });
      }
    }
  }
});

describe('lambda_max by Lanczos against the full eigendecomposition', () => {
  for (const activation of ['relu', 'gelu'] as const) {
    for (const loss of ['half_mse', 'mse'] as const) {
      for (const kernelChoice of kernelsFor(activation)) {
        it(`${activation}, ${loss}, ${kernelChoice} kernel: 1e-8 relative on 3 shapes, at init and after training; WASM and JS Lanczos agree to 1e-12`, () => {
          for (const [index, shape] of shapes.entries()) {
            for (const trained of [false, true]) {
              const kernel = kernelAt(config(shape, activation, loss, 10 + index, kernelChoice), trained);
              const eigenvalues = symmetricEigenvalues(hessianByColumns(kernel));
              const exact = eigenvalues[eigenvalues.length - 1];
              const size = kernel.params.length;
              const [wasm, js] = (['wasm', 'js'] as const).map((backend) =>
                lanczosLargest((v, out) => kernel.hessianVectorProduct(v, out), size, {
                  tolerance: 1e-10,
                  maxIterations: 300,
                  workspace: new LanczosWorkspace(size, 300, { backend }),
                }),
              );
              for (const result of [wasm, js]) {
                expect(result.converged).toBe(true);
                expect(Math.abs(result.value - exact)).toBeLessThanOrEqual(1e-8 * Math.abs(exact));
                expect(Math.abs(result.value - exact)).toBeLessThanOrEqual(result.residual + 1e-12 * Math.abs(exact));
              }
              expect(Math.abs(wasm.value - js.value)).toBeLessThanOrEqual(1e-12 * Math.abs(js.value));
            }
          }
        });
      }
    }
  }

  it('the mse Hessian is exactly twice the half-MSE Hessian at the same parameters', () => {
    for (const [activation, kernelChoice] of [['relu', 'js'], ['relu', 'wasm'], ['gelu', 'js']] as const) {
      const kernel = kernelAt(config(shapes[2], activation, 'half_mse', 4, kernelChoice), true);
      const half = hessianByColumns(kernel);
      kernel.lossAndGradient(lossScale('mse'));
      const full = hessianByColumns(kernel);
      expect(full.sub(half.mul(2)).abs().max()).toBeLessThanOrEqual(1e-13 * full.abs().max());
    }
  });
});

describe('Hutchinson trace', () => {
  it('is within 4 standard errors of the exact trace, with the standard error of the Rademacher variance', () => {
    for (const [index, shape] of shapes.entries()) {
      for (const [activation, kernelChoice] of [['relu', 'wasm'], ['gelu', 'js']] as const) {
        const kernel = kernelAt(config(shape, activation, 'half_mse', 20 + index, kernelChoice), true);
        const hessian = symmetrise(hessianByColumns(kernel));
        const size = kernel.params.length;
        let trace = 0;
        let frobeniusSq = 0;
        let diagonalSq = 0;
        for (let i = 0; i < size; i++) {
          trace += hessian.get(i, i);
          diagonalSq += hessian.get(i, i) ** 2;
          for (let j = 0; j < size; j++) frobeniusSq += hessian.get(i, j) ** 2;
        }
        const samples = 200;
        const estimate = hutchinsonTrace((v, out) => kernel.hessianVectorProduct(v, out), size, samples, ['test', 'hutchinson', index]);
        expect(Math.abs(estimate.trace - trace)).toBeLessThanOrEqual(4 * estimate.standardError);
        // Var(z^T H z) = 2 (||H||_F^2 - sum_i H_ii^2) for Rademacher z.
        const expectedSe = Math.sqrt((2 * (frobeniusSq - diagonalSq)) / samples);
        expect(estimate.standardError / expectedSe).toBeGreaterThan(0.7);
        expect(estimate.standardError / expectedSe).toBeLessThan(1.3);
      }
    }
  });

  it('is reproducible from its stream key and refuses zero samples', () => {
    const kernel = kernelAt(config(shapes[0], 'relu', 'half_mse', 1), false);
    const matvec = (v: Float64Array, out: Float64Array) => kernel.hessianVectorProduct(v, out);
    const a = hutchinsonTrace(matvec, kernel.params.length, 5, ['k']);
    const b = hutchinsonTrace(matvec, kernel.params.length, 5, ['k']);
    expect(a).toEqual(b);
    expect(hutchinsonTrace(matvec, kernel.params.length, 1, ['k']).standardError).toBeNaN();
    expect(() => hutchinsonTrace(matvec, kernel.params.length, 0, ['k'])).toThrow(/samples/);
  });
});

function symmetrise(m: ReturnType<typeof hessianByColumns>) {
  return m.add(m.transpose()).mul(0.5);
}
