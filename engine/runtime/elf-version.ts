// Retargets one symbol-version requirement in an ELF64 little-endian shared object.
//
// onnxruntime-node 1.30's binding asks the dynamic linker for `OrtGetApiBase@VERS_1.30.0`.
// A newer libonnxruntime exports the same function as `VERS_1.32.0` (the C API is
// append-only, and the binding asks for the API version it was built against), so the
// only thing that stops the newer library from loading is that version string. We rewrite
// the string and its ELF hash in the `.gnu.version_r` requirement, in a copy of the file.

const SHT_GNU_VERNEED = 0x6ffffffe;

export function elfHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    h = ((h << 4) + name.charCodeAt(i)) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h >>> 0;
}

function cString(buf: Buffer, offset: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

export interface VersionNeed {
  file: string;
  version: string;
  /** The ELF hash stored beside the name (the dynamic linker compares it first). */
  hash: number;
}

interface VernauxRef extends VersionNeed {
  auxOffset: number;
  nameOffset: number;
}

function readVerneed(elf: Buffer): VernauxRef[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error('only ELF64 little-endian is supported');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const section = (i: number) => {
    const base = shoff + i * shentsize;
    return {
      type: elf.readUInt32LE(base + 4),
      offset: Number(elf.readBigUInt64LE(base + 0x18)),
      link: elf.readUInt32LE(base + 0x28),
      info: elf.readUInt32LE(base + 0x2c),
    };
  };
  const out: VernauxRef[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_GNU_VERNEED) continue;
    const strtab = section(s.link).offset;
    let vn = s.offset;
    for (let n = 0; n < s.info; n++) {
      const cnt = elf.readUInt16LE(vn + 2);
      const file = cString(elf, strtab + elf.readUInt32LE(vn + 4));
      let aux = vn + elf.readUInt32LE(vn + 8);
      for (let a = 0; a < cnt; a++) {
        const nameOffset = strtab + elf.readUInt32LE(aux + 8);
        out.push({ file, version: cString(elf, nameOffset), hash: elf.readUInt32LE(aux), auxOffset: aux, nameOffset });
        const next = elf.readUInt32LE(aux + 12);
        if (next === 0) break;
        aux += next;
      }
      const nextVn = elf.readUInt32LE(vn + 12);
      if (nextVn === 0) break;
      vn += nextVn;
    }
  }
  return out;
}

export function listVersionNeeds(elf: Buffer): VersionNeed[] {
  return readVerneed(elf).map(({ file, version, hash }) => ({ file, version, hash }));
}

/** Returns a patched copy; throws when the requirement is missing or the names differ in length. */
export function retargetVersionNeed(elf: Buffer, file: string, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('version names must have the same length');
  const copy = Buffer.from(elf);
  const hits = readVerneed(copy).filter((r) => r.file === file && r.version === from);
  if (hits.length === 0) throw new Error(`no requirement ${from} on ${file}`);
  for (const hit of hits) {
    copy.write(to, hit.nameOffset, 'latin1');
    copy.writeUInt32LE(elfHash(to), hit.auxOffset);
  }
  return copy;
}
