// Development aid: prints the normalized text (what G2P reads) for every stdin line.
// `node dist/engine/text/normalize-cli.js --lang en-gb < sentences.txt`
import { createInterface } from 'node:readline';
import { normalizeText } from './normalize.js';

const lang = process.argv.includes('en-gb') ? 'en-gb' : 'en-us';
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  process.stdout.write((line.startsWith('#') || !line.trim() ? line : normalizeText(line, lang)) + '\n');
}
