// Fault-free references: each case's pcm, fetched whole (stream: false) before any fault.
import { sendSpeech, type ClientConfig } from './client.js';
import type { SpeechCase } from './corpus.js';
import { s16 } from './verify/pcm.js';
import { makeReference, type Reference } from './verify/verify.js';

export interface ReferenceSet {
  refs: Map<string, Reference>;
  failed: { caseId: string; detail: string }[];
  audioSeconds: number;
  wallMs: number;
}

export async function fetchReferences(client: ClientConfig, cases: readonly SpeechCase[], parallel: number): Promise<ReferenceSet> {
  const t0 = performance.now();
  const refs = new Map<string, Reference>();
  const failed: ReferenceSet['failed'] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      let detail = '';
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await sendSpeech(client, { seq: -1, speechCase: c, format: 'pcm', mode: 'file', clientFault: 'none' });
        if (r.status === 200 && r.complete && r.body.length > 0) {
          refs.set(c.id, makeReference(c.id, s16(r.body)));
          detail = '';
          break;
        }
        detail = `status ${r.status} ${r.error ?? ''} ${r.body.toString('utf8').slice(0, 120)}`;
        await new Promise((res) => setTimeout(res, 1000));
      }
      if (detail) failed.push({ caseId: c.id, detail });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  let samples = 0;
  for (const r of refs.values()) samples += r.samples.length;
  return { refs, failed, audioSeconds: samples / 24000, wallMs: performance.now() - t0 };
}
