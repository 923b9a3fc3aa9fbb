// The client side of a DeliveryBuffer: moves its bytes into the response stream at the
// client's pace. Shared by every route that streams a synthesis (speech, captioned speech).
import type { PassThrough } from 'node:stream';
import type { DeliveryBuffer } from '../speech/delivery-buffer.js';

/** Moves the delivery buffer into the response stream at the client's pace; a cut ends in destroy. */
export async function deliver(buffer: DeliveryBuffer, out: PassThrough): Promise<void> {
  try {
    for (;;) {
      const b = await buffer.take();
      if (b === null) break;
      if (out.destroyed) return;
      if (!out.write(b)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done);
            out.off('close', done);
            resolve();
          };
          out.on('drain', done);
          out.on('close', done);
        });
      }
    }
    out.end();
  } catch (e) {
    out.destroy(e as Error);
  }
}
