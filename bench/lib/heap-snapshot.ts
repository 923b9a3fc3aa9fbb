// Reading V8 .heapsnapshot files (the JSON that --heapsnapshot-signal and v8.writeHeapSnapshot
// write) for bench:heap: live objects counted by kind and constructor, two snapshots compared,
// and what holds the objects that grew. Format facts from V8's heap snapshot serializer: flat
// `nodes` and `edges` arrays whose field layout is given in `snapshot.meta`; node ids are stable
// for the life of a process, so objects in a later snapshot can be split into old and new.
import { readFileSync } from 'node:fs';

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

interface RawSnapshot {
  snapshot: { meta: Meta; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface GroupStats {
  count: number;
  bytes: number;
}

export interface HeapSnapshot {
  file: string;
  nodeCount: number;
  totalBytes: number;
  /** Live objects by group (see groupName). */
  groups: Map<string, GroupStats>;
  /** Ids of every node, by group, to tell old objects from new ones. */
  ids: Map<string, Set<number>>;
  raw: RawSnapshot;
}

/** Kinds whose names carry no constructor (string contents, code names) are grouped as one. */
function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
      return name;
    case 'closure':
      return `(closure) ${name || '(anonymous)'}`;
    case 'array':
    case 'native':
    case 'synthetic':
    case 'hidden':
    case 'object shape':
      return `(${type}) ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    default:
      return `(${type})`;
  }
}

export function readHeapSnapshot(file: string): HeapSnapshot {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const m = raw.snapshot.meta;
  const nf = m.node_fields.length;
  const fType = m.node_fields.indexOf('type');
  const fName = m.node_fields.indexOf('name');
  const fId = m.node_fields.indexOf('id');
  const fSize = m.node_fields.indexOf('self_size');
  const types = m.node_types[0];
  const groups = new Map<string, GroupStats>();
  const ids = new Map<string, Set<number>>();
  let totalBytes = 0;
  const { nodes, strings } = raw;
  for (let i = 0; i < nodes.length; i += nf) {
    const key = groupName(types[nodes[i + fType]!]!, strings[nodes[i + fName]!]!);
    const size = nodes[i + fSize]!;
    totalBytes += size;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { count: 0, bytes: 0 }));
    g.count++;
    g.bytes += size;
    let s = ids.get(key);
    if (!s) ids.set(key, (s = new Set()));
    s.add(nodes[i + fId]!);
  }
  return { file, nodeCount: nodes.length / nf, totalBytes, groups, ids, raw };
}

export interface GroupDiff {
  group: string;
  countBefore: number;
  countAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Objects in `after` whose id was not in `before` (allocated since, still alive). */
  newSurvivors: number;
}

/** Every group whose count or size changed, largest count growth first. */
export function diffSnapshots(before: HeapSnapshot, after: HeapSnapshot): GroupDiff[] {
  const keys = new Set([...before.groups.keys(), ...after.groups.keys()]);
  const out: GroupDiff[] = [];
  for (const group of keys) {
    const b = before.groups.get(group) ?? { count: 0, bytes: 0 };
    const a = after.groups.get(group) ?? { count: 0, bytes: 0 };
    if (a.count === b.count && a.bytes === b.bytes) continue;
    const old = before.ids.get(group);
    let fresh = 0;
    for (const id of after.ids.get(group) ?? []) if (!old?.has(id)) fresh++;
    out.push({ group, countBefore: b.count, countAfter: a.count, bytesBefore: b.bytes, bytesAfter: a.bytes, newSurvivors: fresh });
  }
  return out.sort((x, y) => (y.countAfter - y.countBefore) - (x.countAfter - x.countBefore) || (y.bytesAfter - y.bytesBefore) - (x.bytesAfter - x.bytesBefore));
}

/**
 * What holds the objects of `group` in `snap`: the most common (holder group, edge name) pairs
 * over every strong edge into one of them, limited to objects not in `onlyNewSince` when given.
 */
export function retainersOf(snap: HeapSnapshot, group: string, top = 5, onlyNewSince?: HeapSnapshot): { holder: string; edge: string; count: number }[] {
  const { raw } = snap;
  const m = raw.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const fType = m.node_fields.indexOf('type');
  const fName = m.node_fields.indexOf('name');
  const fId = m.node_fields.indexOf('id');
  const fEdges = m.node_fields.indexOf('edge_count');
  const eType = m.edge_fields.indexOf('type');
  const eName = m.edge_fields.indexOf('name_or_index');
  const eTo = m.edge_fields.indexOf('to_node');
  const nodeTypes = m.node_types[0];
  const edgeTypes = m.edge_types[0];
  const { nodes, edges, strings } = raw;
  const oldIds = onlyNewSince?.ids.get(group);
  const counts = new Map<string, number>();
  let e = 0;
  for (let i = 0; i < nodes.length; i += nf) {
    const holder = groupName(nodeTypes[nodes[i + fType]!]!, strings[nodes[i + fName]!]!);
    const n = nodes[i + fEdges]!;
    for (let k = 0; k < n; k++, e += ef) {
      const et = edgeTypes[edges[e + eType]!]!;
      if (et === 'weak' || et === 'shortcut') continue;
      const to = edges[e + eTo]!;
      const target = groupName(nodeTypes[nodes[to + fType]!]!, strings[nodes[to + fName]!]!);
      if (target !== group) continue;
      if (oldIds?.has(nodes[to + fId]!)) continue;
      const nameOrIndex = edges[e + eName]!;
      const edge = et === 'element' || et === 'hidden' ? `[${et}]` : `${et === 'property' ? '' : `(${et}) `}${strings[nameOrIndex]}`;
      const key = `${holder}\u0000${edge}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, count]) => {
    const [holder, edge] = k.split('\u0000') as [string, string];
    return { holder, edge, count };
  });
}
