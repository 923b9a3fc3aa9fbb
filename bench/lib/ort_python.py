"""Python onnxruntime baseline for bench:engine (development-only comparison).

Reads the same DirectJob JSON as direct-child.js (chunks' token ids and style vectors),
runs each chunk with InferenceSession.run using the session options the engine uses, and
writes a DirectOutput JSON. Usage: python3 ort_python.py JOB.json OUT.json
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def pick(names, wanted, role):
    for w in wanted:
        if w in names:
            return w
    raise SystemExit(f"model has no {role} input/output (looked for {wanted}; it has {names})")


def peak_rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def main():
    job_file, out_file = sys.argv[1], sys.argv[2]
    with open(job_file) as f:
        job = json.load(f)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = job["threads"]
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_cpu_mem_arena = True
    opts.enable_mem_pattern = False
    sess = ort.InferenceSession(job["modelPath"], sess_options=opts, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in sess.get_inputs()]
    outputs = [o.name for o in sess.get_outputs()]
    tokens_name = pick(inputs, ["tokens", "input_ids"], "token")
    style_name = pick(inputs, ["style", "ref_s"], "style")
    speed_name = pick(inputs, ["speed"], "speed")
    audio_name = pick(outputs, ["audio", "waveform"], "audio")

    def feeds(chunk):
        ids = np.zeros((1, len(chunk["tokens"]) + 2), dtype=np.int64)  # pad id 0 at both ends
        ids[0, 1:-1] = chunk["tokens"]
        return {
            tokens_name: ids,
            style_name: np.asarray(chunk["style"], dtype=np.float32).reshape(1, -1),
            speed_name: np.ones((1,), dtype=np.float32),
        }

    texts = job["texts"]
    if texts and texts[0]["chunks"]:
        sess.run([audio_name], feeds(texts[0]["chunks"][0]))  # warm-up, as the engine does

    out = {"runtime": f"{ort.__version__} (python)", "texts": []}
    for text in texts:
        runs = []
        prepared = [feeds(c) for c in text["chunks"]]
        for _ in range(job["reps"].get(text["name"], 1)):
            chunk_ms = []
            samples = 0
            for f in prepared:
                t0 = time.perf_counter()
                audio = sess.run([audio_name], f)[0]
                chunk_ms.append((time.perf_counter() - t0) * 1000)
                samples += int(audio.size)
            runs.append({"chunkMs": chunk_ms, "samples": samples})
        out["texts"].append({"name": text["name"], "runs": runs})
    out["peakRssBytes"] = peak_rss_bytes()
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
