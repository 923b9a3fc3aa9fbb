// `npm run settings:table`: prints the configuration table (with its README markers);
// `-- --write README.md` replaces the block in that file.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTableBlock, TABLE_BEGIN, TABLE_END } from './table.js';

const args = process.argv.slice(2);
if (args[0] === '--write' && args[1]) {
  const file = args[1];
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(TABLE_BEGIN);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < a) {
    console.error(`${file}: no settings table markers`);
    process.exit(1);
  }
  writeFileSync(file, text.slice(0, a) + settingsTableBlock() + text.slice(b + TABLE_END.length));
  console.error(`${file}: settings table updated`);
} else {
  console.log(settingsTableBlock());
}
