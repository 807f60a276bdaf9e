/** Worker-thread entry for tests: trains the config it is given and posts back the final parameters. */
import { parentPort, workerData } from 'node:worker_threads';
import { train, type TrainConfig } from '../../src/model/index.js';

const outcome = train(workerData as TrainConfig);
const params = Float64Array.from(outcome.kernel.params);
outcome.kernel.dispose();
parentPort!.postMessage({ status: outcome.status, params }, [params.buffer]);
