// Test side of the engine harness: a real engine process (dist/engine/main.js) comes from
// harness/engine-process.ts; this file adds the HTTP helpers the engine tests share.
import { request } from 'node:http';
import { FrameDecoder, type Frame, type InferRequest, type PlanRequest, type SynthesizeRequest } from '../../protocol/engine-wire.js';

export { startEngine, type EngineOptions, type EngineProcess } from '../../harness/engine-process.js';

export interface JsonReply<T> {
  status: number;
  body: T;
}

export function getJson<T>(port: number, path: string): Promise<JsonReply<T>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) as T }));
    }).on('error', reject).end();
  });
}

export interface SynthResult {
  status: number;
  frames: Frame[];
  /** Error body when the status is not 200. */
  error?: { code: string; message: string; param?: string };
}

/** POST /synthesize and collect every frame. `onFrame` may return 'abort' to hang up. */
export function synthesize(port: number, body: Partial<SynthesizeRequest> | string, onFrame?: (f: Frame) => void | 'abort'): Promise<SynthResult> {
  return postFrames(port, '/synthesize', body, onFrame);
}

/** POST /plan and collect every frame. */
export function plan(port: number, body: Partial<PlanRequest> | string, onFrame?: (f: Frame) => void | 'abort'): Promise<SynthResult> {
  return postFrames(port, '/plan', body, onFrame);
}

/** POST /infer and collect every frame. */
export function infer(port: number, body: Partial<InferRequest> | object | string, onFrame?: (f: Frame) => void | 'abort'): Promise<SynthResult> {
  return postFrames(port, '/infer', body, onFrame);
}

/** POST a JSON body to a frame-streaming route and collect every frame. `onFrame` may return 'abort' to hang up. */
export function postFrames(port: number, path: string, body: object | string, onFrame?: (f: Frame) => void | 'abort'): Promise<SynthResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, frames: [], error: JSON.parse(data) }));
        return;
      }
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      res.on('data', (d: Buffer) => {
        for (const f of decoder.push(d)) {
          frames.push(f);
          if (onFrame?.(f) === 'abort') {
            req.destroy();
            resolve({ status: 200, frames });
          }
        }
      });
      res.on('end', () => resolve({ status: 200, frames }));
      res.on('error', () => resolve({ status: 200, frames }));
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}
