// Int16Array samples as s16le bytes (every platform Node runs on here is little-endian).

/** A view on the same memory: the caller must not reuse the array until the write resolved. */
export function samplesAsBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** A private copy, for encoders that keep the bytes after write() returned. */
export function copySamplesAsBytes(samples: Int16Array): Buffer {
  return Buffer.from(samplesAsBytes(samples));
}
