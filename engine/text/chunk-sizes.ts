// Chunk sizes, in phoneme tokens: read by the front end (index.ts) and by the settings schema
// (FIRST_CHUNK_TOKENS, CHUNK_RAMP), so the defaults live in one place without the schema
// loading the front end.

// Sized with bench:first-chunk: 40 tokens (about 5 words, 2 s of audio) gets chunk 0's audio out in about
// half the time of the old 80-token rule while still ending at a clause or phrase boundary.
export const DEFAULT_FIRST_CHUNK_TOKENS = 40;
export const DEFAULT_TARGET_TOKENS = 200;
/** How much longer each chunk may be than the one before, up to the target (see ChunkOptions.growth). */
export const CHUNK_GROWTH = 3;
