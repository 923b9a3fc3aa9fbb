// The encoders' public surface: the gateway imports from here only.
export { createEncoderFactory, PooledEncoderFactory, DEFAULT_POOL_SIZE, POOL_KEYS } from './factory.js';
export type { EncoderFactoryOptions, PoolKey } from './factory.js';
export type { PoolStats } from './warm-pool.js';
export { contentTypeFor } from './content-type.js';
export { resolveFfmpeg } from './ffmpeg-binary.js';
export type { ResolvedFfmpeg } from './ffmpeg-binary.js';
export { frameSamples, leadingSamples } from './formats.js';
