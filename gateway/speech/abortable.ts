// Awaiting under the request's one AbortSignal: rejects with the signal's reason as soon as
// it aborts, and hands a result that arrives too late to `late` (so a slot or an encoder
// granted after the client left is given back, not leaked).
export function abortable<T>(p: Promise<T>, signal: AbortSignal, late?: (value: T) => void): Promise<T> {
  const dropLate = () => void p.then((v) => late?.(v), () => {});
  if (signal.aborted) {
    dropLate();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      dropLate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
