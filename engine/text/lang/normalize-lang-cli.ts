// stdin -> stdout, one line at a time: our normalization for one language (fixture making).
import { readFileSync } from 'node:fs';
import { normalizeFor } from './front-end.js';
import { resolveLang } from './langs.js';

const lang = resolveLang(process.argv[2] ?? '');
if (!lang) throw new Error(`usage: normalize-lang-cli LANG < in > out (unknown: ${process.argv[2]})`);
const lines = readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
process.stdout.write(lines.map((l) => normalizeFor(lang, l)).join('\n') + '\n');
