#!/usr/bin/env python3
"""How much two 1-thread engines can gain over one 2-thread session on this machine, measured with
Python onnxruntime (what fastkokoro runs) on real phoneme token ids, so neither our code nor the
peer's is in the figure: per round, one process with a 2-thread session synthesizes every chunk,
then two processes with a 1-thread session each synthesize the same chunks at the same time.
Prints audio seconds per wall second for both and their ratio, round by round (interleaved).

  npm run phonemize < texts.txt > phonemes.txt     # one line of Kokoro phonemes per text line
  python3 scripts/layout-ceiling.py phonemes.txt [rounds, default 3] [tokens per chunk, default 180]
Needs: pip install onnxruntime numpy. Models from KOKORO_MODELS_DIR (default ../shared/models)."""
import json, os, subprocess, sys, time

MODELS = os.environ.get('KOKORO_MODELS_DIR', os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'models'))


def run(phonemes: str, threads: int, size: int) -> None:
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.enable_mem_pattern = False
    s = ort.InferenceSession(os.path.join(MODELS, 'kokoro-v1.0.int8.onnx'), so, providers=['CPUExecutionProvider'])
    vocab = json.load(open(os.path.join(MODELS, 'config.json')))['vocab']
    voice = np.fromfile(os.path.join(MODELS, 'voices', 'af_heart.bin'), dtype=np.float32).reshape(-1, 256)
    chunks = []
    for line in open(phonemes, encoding='utf-8'):
        ids = [vocab[c] for c in line.strip() if c in vocab]
        chunks += [ids[i:i + size] for i in range(0, len(ids), size)]

    def feed(t):
        return {'tokens': np.array([[0] + t + [0]], dtype=np.int64), 'style': voice[len(t):len(t) + 1], 'speed': np.array([1.0], dtype=np.float32)}
    s.run(None, feed(chunks[0][:20]))  # warm-up: the first run allocates the arena
    t0 = time.time()
    audio = sum(s.run(None, feed(c))[0].size / 24000 for c in chunks)
    print(audio, time.time() - t0, flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == '--run':
        return run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    phonemes, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    size = sys.argv[3] if len(sys.argv) > 3 else '180'
    child = lambda threads: [sys.executable, __file__, '--run', phonemes, str(threads), size]
    for r in range(rounds):
        audio, wall = map(float, subprocess.run(child(2), capture_output=True, text=True, check=True).stdout.split())
        one = audio / wall
        procs = [subprocess.Popen(child(1), stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [list(map(float, p.communicate()[0].split())) for p in procs]
        two = sum(o[0] for o in outs) / max(o[1] for o in outs)
        print(f'round {r + 1}: 1 session x 2 threads {one:.2f} audio-s/s; 2 sessions x 1 thread {two:.2f}; ratio {two / one:.2f}', flush=True)


main()
