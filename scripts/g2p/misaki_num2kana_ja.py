"""Development-only: misaki 0.9.4's num2kana.Convert on a fixed spread of numbers, for
test/fixtures/g2p/ja/num2kana.json (engine/text/lang/ja/num2kana.ts must agree with every one).
Same venv as misaki_reference_lang.py. Usage: python misaki_num2kana_ja.py OUT.json"""
import json
import random
import sys

from misaki.num2kana import Convert


def numbers():
    rnd = random.Random(20240401)
    fixed = list(range(0, 130)) + [300, 600, 800, 1000, 1001, 1010, 1100, 3000, 8000, 10000, 11000, 100000, 110011000,
                                   100000000, 999999999, 30000000, 800000000, 123456789, 10001000]
    spread = [rnd.randint(0, 10 ** rnd.randint(1, 9) - 1) for _ in range(300)]
    seen, out = set(), []
    for n in [str(x) for x in fixed + spread] + ['007', '0000']:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


if __name__ == '__main__':
    rows = [{'digits': n, 'kana': Convert(n)} for n in numbers()]
    with open(sys.argv[1], 'w', encoding='utf-8') as f:
        json.dump(rows, f, ensure_ascii=False, indent=0)
        f.write('\n')
    print(f'num2kana: {len(rows)} numbers -> {sys.argv[1]}')
