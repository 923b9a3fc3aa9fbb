// Builds the archives fake package managers hand back: a gzip'd ustar (npm pack) and a zip (wheel).
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import AdmZip from 'adm-zip';

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header; names over 100 bytes are split into prefix/name, as tar does. */
function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  if (name.length > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136);
  h.write('        ', 148); // checksum is computed with this field as spaces
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

export function makeTgz(members: Record<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of Object.entries(members)) {
    parts.push(header(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

export function writeWheel(path: string, members: Record<string, Buffer>): void {
  const zip = new AdmZip();
  for (const [name, data] of Object.entries(members)) zip.addFile(name, data);
  writeFileSync(path, zip.toBuffer());
}
