export { philox4x32 } from './philox.js';
export { RandomStream, streamKey, type StreamKeyPart } from './stream.js';
