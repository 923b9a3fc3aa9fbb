// Audio checking for tests, the stress suite and benchmarks (never the serving path):
// decode any of our formats back to PCM and check that a container is complete.
export { decodeToPcm, durationSeconds, decodedDurationSeconds, DamagedAudioError } from './decode.js';
export * from './container-check.js';
