"""Development-only: misaki's phonemes for the non-English fixture sentences (never used at run time).

Setup (PyPI only; see test/fixtures/g2p/README.md):
  python3 -m venv /tmp/misaki-venv
  /tmp/misaki-venv/bin/pip install 'misaki[ja,zh]==0.9.4' num2words phonemizer-fork espeakng-loader
  (the espeak languages alone need only: misaki==0.9.4 phonemizer-fork espeakng-loader)
  ja: the `unidic` package misaki[ja] pulls in downloads its dictionary from outside PyPI; without
  it, `pip install unidic-lite && pip uninstall -y unidic` makes fugashi fall back to unidic-lite
  (UniDic 2.1.2), which is what test/fixtures/g2p/ja/ was made with (printed below).
Run through scripts/g2p/make-lang-fixtures.sh, or directly:
  python misaki_reference_lang.py LANG SENTENCES.txt OUT.json [NORMALIZED.txt]

LANG is our tag: es, fr-fr, hi, it, pt-br (misaki.espeak.EspeakG2P, as Kokoro's KPipeline builds it for
lang_code e, f, h, i, p), ja (misaki.ja.JAG2P), zh (misaki.zh.ZHG2P).
Output: JSON list of {"text", LANG: misaki on the raw text} plus, with a normalized file,
{"norm": {LANG: text}, "LANG-norm": misaki on our normalized text} -- the shape of the English fixtures.
"""
import json
import sys

# Kokoro's KPipeline: lang_code -> espeak language for the espeak-only languages.
ESPEAK = {'es': 'es', 'fr-fr': 'fr-fr', 'hi': 'hi', 'it': 'it', 'pt-br': 'pt-br'}


def make_g2p(lang):
    if lang in ESPEAK:
        from misaki import espeak
        g2p = espeak.EspeakG2P(language=ESPEAK[lang])
    elif lang == 'ja':
        from misaki import ja
        g2p = ja.JAG2P()
        print('ja dictionary:', g2p.cutlet.tagger.dictionary_info[0]['filename'], file=sys.stderr)
    elif lang == 'zh':
        from misaki import zh
        g2p = zh.ZHG2P()
    else:
        raise SystemExit(f'unknown language {lang}')
    return lambda text: g2p(text)[0]


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def main(lang, src, dst, norm=None):
    lines = read_lines(src)
    norms = read_lines(norm) if norm else None
    if norms is not None:
        assert len(norms) == len(lines), 'normalized file must match line for line'
    g2p = make_g2p(lang)
    out = []
    for i, text in enumerate(lines):
        row = {'text': text, lang: g2p(text)}
        if norms is not None:
            row['norm'] = {lang: norms[i]}
            row[f'{lang}-norm'] = g2p(norms[i])
        out.append(row)
    with open(dst, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'{lang}: {len(out)} sentences -> {dst}')


if __name__ == '__main__':
    main(*sys.argv[1:])
